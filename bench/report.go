package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// row is one line of the table.
type row struct {
	bench, figure, value, goal string
	met                        string // "yes", "no", or "" when there is no goal
}

// report is the run's table and how each figure was had.
type report struct {
	started time.Time
	setup   []string // machine, versions, settings
	rows    []row
	how     map[int]string // by benchmark: how its figures were had
}

// describe says how benchmark n's figures were had.
func (r *report) describe(n int, text string) {
	if r.how == nil {
		r.how = map[int]string{}
	}
	r.how[n] = text
}

// sorted returns the rows in the order of the benchmarks' numbers, which
// is not the order they run in.
func (r *report) sorted() []row {
	rows := slices.Clone(r.rows)
	slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(a.bench[:1], b.bench[:1]) })
	return rows
}

func (r *report) add(bench, figure, value string) {
	r.rows = append(r.rows, row{bench: bench, figure: figure, value: value})
}

// goal adds a row with a goal, met or not.
func (r *report) goal(bench, figure, value, goal string, met bool) {
	m := "no"
	if met {
		m = "yes"
	}
	r.rows = append(r.rows, row{bench: bench, figure: figure, value: value, goal: goal, met: m})
}

// table writes the rows as a Markdown table, which reads as well in a
// terminal as in the document.
func (r *report) table(w io.Writer) {
	fmt.Fprintln(w, "| benchmark | figure | value | goal | met? |")
	fmt.Fprintln(w, "|---|---|---:|---|---|")
	last := ""
	for _, x := range r.sorted() {
		bench := x.bench
		if bench == last {
			bench = ""
		}
		last = x.bench
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", bench, x.figure, x.value, dash(x.goal), dash(x.met))
	}
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// document is docs/BENCHMARKS.md.
func (r *report) document(w io.Writer) {
	fmt.Fprintf(w, "# Benchmarks\n\n")
	fmt.Fprintf(w, "`make bench` (issues #6, #14, #16 and #19) on %s. Every figure is from that one run, goals met or not; nothing is tuned to a\n", r.started.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "goal. `make bench` writes this file again each time it runs.\n\n")
	for _, s := range r.setup {
		fmt.Fprintf(w, "- %s\n", s)
	}
	fmt.Fprintln(w)
	r.table(w)
	fmt.Fprintf(w, "\n## How each figure was had\n\n")
	for _, n := range slices.Sorted(maps.Keys(r.how)) {
		fmt.Fprintf(w, "%d. %s\n\n", n, r.how[n])
	}
}

// machine describes this computer from /proc.
func machine() string {
	model, cores := "unknown CPU", 0
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), ":")
			switch strings.TrimSpace(k) {
			case "model name":
				model = strings.TrimSpace(v)
			case "processor":
				cores++
			}
		}
		f.Close()
	}
	if cores == 0 {
		cores = runtime.NumCPU()
	}
	mem := "unknown"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
				mem = fmt.Sprintf("%.1f GiB RAM", kb/(1<<20))
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%s, %d cores, %s, Linux %s", model, cores, mem, strings.TrimSpace(string(kernel)))
}

// loadAverage is the 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// thousands writes n with thousands separators.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// shares says what part of a window each tag was, in per cent.
func shares(w window, tags ...string) string {
	var parts []string
	for _, t := range tags {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", t, 100*float64(w.tags[t])/float64(max(w.count, 1))))
	}
	return strings.Join(parts, ", ")
}
