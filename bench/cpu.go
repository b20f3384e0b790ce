package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is Linux's USER_HZ, the unit of CPU times in /proc: 100 on
// every Linux payops runs on.
const clockTick = 10 * time.Millisecond

// procCPU returns the CPU time process pid has used (user and system), with
// that of its children it has waited for when children is true.
func procCPU(pid string, children bool) (time.Duration, int, error) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return 0, 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 15 {
		return 0, 0, fmt.Errorf("/proc/%s/stat: too short", pid)
	}
	ppid, _ := strconv.Atoi(f[1])
	n := 2 // utime, stime: fields 14 and 15, here 11 and 12
	if children {
		n = 4 // and cutime, cstime
	}
	var ticks int64
	for _, v := range f[11 : 11+n] {
		t, _ := strconv.ParseInt(v, 10, 64)
		ticks += t
	}
	return time.Duration(ticks) * clockTick, ppid, nil
}

// clusterCPU returns the CPU time the bench cluster's server has used: the
// postmaster with the backends that have ended, and those still running.
func clusterCPU(pgdir string) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join(pgdir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	postmaster := strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	total, _, err := procCPU(postmaster, true)
	if err != nil {
		return 0, err
	}
	pids, _ := filepath.Glob("/proc/[0-9]*")
	want, _ := strconv.Atoi(postmaster)
	for _, p := range pids {
		pid := filepath.Base(p)
		used, ppid, err := procCPU(pid, false)
		if err == nil && ppid == want {
			total += used
		}
	}
	return total, nil
}

// cpuUse is CPU time used during a run, by whom.
type cpuUse struct {
	server, client, postgres time.Duration
}

// cpuMeter measures the CPU time used by a server process (0 for none),
// this process (the load generator) and the cluster between start and
// stop; a client run as a child is added by the caller.
type cpuMeter struct {
	pgdir      string
	server     string
	start, end cpuUse
}

func (m *cpuMeter) read() (cpuUse, error) {
	var u cpuUse
	var err error
	if m.server != "" {
		if u.server, _, err = procCPU(m.server, false); err != nil {
			return u, err
		}
	}
	if u.client, _, err = procCPU("self", false); err != nil {
		return u, err
	}
	u.postgres, err = clusterCPU(m.pgdir)
	return u, err
}

func startCPU(pgdir string, serverPID int) (*cpuMeter, error) {
	m := &cpuMeter{pgdir: pgdir}
	if serverPID > 0 {
		m.server = strconv.Itoa(serverPID)
	}
	var err error
	m.start, err = m.read()
	return m, err
}

// stop returns the CPU time used since start.
func (m *cpuMeter) stop() (cpuUse, error) {
	end, err := m.read()
	return cpuUse{server: end.server - m.start.server, client: end.client - m.start.client,
		postgres: end.postgres - m.start.postgres}, err
}
