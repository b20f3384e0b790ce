// Package pgcluster starts and stops a private PostgreSQL cluster in a folder
// of the project, for `make run` and for tests: initdb once, then pg_ctl on a
// unix socket inside the folder, numbered by a free port (tests' clusters
// also listen on 127.0.0.1 at that port; make run's on the socket only). A
// cluster already running is reused as it was started. As root it runs the
// server binaries as the unprivileged "postgres" user, since PostgreSQL
// refuses to run as root.
package pgcluster

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Cluster is a private PostgreSQL cluster living in Dir.
type Cluster struct {
	Dir     string // the data folder
	BinDir  string // where initdb and pg_ctl are
	ForTest bool   // trade durability for speed: fsync and friends off
	runAs   string // the system user that owns Dir when we are root
}

// New returns the cluster in dir, locating PostgreSQL's server binaries. It
// returns an error saying what to install when none are found.
func New(dir string, forTest bool) (*Cluster, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	bin, err := findBinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: abs, BinDir: bin, ForTest: forTest}
	if os.Geteuid() == 0 {
		c.runAs = "postgres"
		if _, err := user.Lookup(c.runAs); err != nil {
			return nil, fmt.Errorf("pgcluster: running as root needs the system user %q (useradd --system postgres): %w", c.runAs, err)
		}
	}
	return c, nil
}

func findBinDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		d := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("pgcluster: no PostgreSQL server binaries found: apt-get install -y postgresql")
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start makes sure the cluster exists and is running, and returns a
// lib/pq DSN for database dbname (created when missing) over the unix socket.
// A running cluster is reused.
func (c *Cluster) Start(dbname string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(c.Dir), 0o755); err != nil {
		return "", err
	}
	unlock, err := c.lock()
	if err != nil {
		return "", err
	}
	defer unlock()

	if _, err := os.Stat(filepath.Join(c.Dir, "PG_VERSION")); err != nil {
		if err := c.initdb(); err != nil {
			return "", err
		}
	}
	port, running := c.runningPort()
	if !running {
		port, err = c.portAgain()
		if err != nil {
			return "", err
		}
		if err := c.start(port); err != nil {
			return "", err
		}
	}
	if err := c.createDB(port, dbname); err != nil {
		return "", err
	}
	return c.DSN(port, dbname), nil
}

// DSN returns the connection string for dbname on the cluster listening on
// port.
func (c *Cluster) DSN(port int, dbname string) string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable", c.socketDir(), port, dbname)
}

// Stop stops the cluster if it runs; its data stays for the next Start.
func (c *Cluster) Stop() error {
	if _, running := c.runningPort(); !running {
		return nil
	}
	return c.run(filepath.Join(c.BinDir, "pg_ctl"), "stop", "-D", c.Dir, "-m", "fast", "-w")
}

// socketDir is where the server puts its unix socket: inside the data folder
// when the path is short enough for a socket (108 bytes), else a folder under
// /tmp named after it.
func (c *Cluster) socketDir() string {
	if len(c.Dir)+len("/.s.PGSQL.65535") < 100 {
		return c.Dir
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("payops-pg-%x", fnv(c.Dir)))
}

func fnv(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func (c *Cluster) initdb() error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return err
	}
	if err := c.chown(c.Dir); err != nil {
		return err
	}
	args := []string{"-D", c.Dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"}
	if c.ForTest {
		args = append(args, "--no-sync")
	}
	if err := c.run(filepath.Join(c.BinDir, "initdb"), args...); err != nil {
		return fmt.Errorf("pgcluster: initdb in %s: %w", c.Dir, err)
	}
	return nil
}

func (c *Cluster) start(port int) error {
	sock := c.socketDir()
	if err := os.MkdirAll(sock, 0o700); err != nil {
		return err
	}
	if err := c.chown(sock); err != nil {
		return err
	}
	// Connections come through the socket, in a folder only the server's
	// user may enter: initdb's trust is safe there, and not on a TCP port any
	// local account could reach. Tests' clusters listen on 127.0.0.1 too, for
	// the proxy through which a test cuts the database away.
	listen := "''"
	if c.ForTest {
		listen = "127.0.0.1"
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=%s -c max_connections=200", port, sock, listen)
	if c.ForTest {
		opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	logFile := filepath.Join(c.Dir, "server.log")
	if err := c.run(filepath.Join(c.BinDir, "pg_ctl"), "start", "-D", c.Dir, "-w", "-t", "60", "-l", logFile, "-o", opts); err != nil {
		tail, _ := os.ReadFile(logFile)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return fmt.Errorf("pgcluster: start in %s: %w\n%s", c.Dir, err, tail)
	}
	return nil
}

// runningPort reads the port of a running server from postmaster.pid, whose
// fourth line is the port; it reports false when no server runs.
func (c *Cluster) runningPort() (int, bool) {
	b, err := os.ReadFile(filepath.Join(c.Dir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(lines[0]))
	port, _ := strconv.Atoi(strings.TrimSpace(lines[3]))
	if pid <= 0 || port <= 0 || syscall.Kill(pid, 0) != nil {
		return 0, false
	}
	return port, true
}

func (c *Cluster) createDB(port int, dbname string) error {
	psql := filepath.Join(c.BinDir, "psql")
	if _, err := os.Stat(psql); err != nil {
		psql = "psql"
	}
	check := exec.Command(psql, "-h", c.socketDir(), "-p", strconv.Itoa(port), "-U", "postgres", "-d", "postgres", "-tAc",
		fmt.Sprintf("SELECT 1 FROM pg_database WHERE datname = '%s'", dbname))
	out, err := check.Output()
	if err != nil {
		return fmt.Errorf("pgcluster: psql: %w", err)
	}
	if strings.TrimSpace(string(out)) == "1" {
		return nil
	}
	create := exec.Command(psql, "-h", c.socketDir(), "-p", strconv.Itoa(port), "-U", "postgres", "-d", "postgres", "-c",
		fmt.Sprintf(`CREATE DATABASE "%s"`, dbname))
	if out, err := create.CombinedOutput(); err != nil && !bytes.Contains(out, []byte("already exists")) {
		return fmt.Errorf("pgcluster: create database %s: %w: %s", dbname, err, out)
	}
	return nil
}

// run runs a server binary, as the postgres user when we are root.
func (c *Cluster) run(name string, args ...string) error {
	var cmd *exec.Cmd
	if c.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.runAs, "--", name}, args...)...)
	} else {
		cmd = exec.Command(name, args...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// pg_ctl's server must outlive us and not share our terminal's signals.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(name), err, strings.TrimSpace(out.String()))
	}
	return nil
}

func (c *Cluster) chown(path string) error {
	if c.runAs == "" {
		return nil
	}
	u, err := user.Lookup(c.runAs)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(path, uid, gid); err != nil {
		return err
	}
	// Every parent must be traversable by the server's user.
	for p := filepath.Dir(path); p != "/"; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(p, fi.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("pgcluster: %s is not traversable by %s: %w", p, c.runAs, err)
			}
		}
	}
	return nil
}

// lock serialises Start across processes, such as test packages starting in
// parallel.
func (c *Cluster) lock() (func(), error) {
	f, err := os.OpenFile(c.Dir+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// portAgain is the port the cluster last ran on (postmaster.opts, which a
// stop leaves) when it is free, else a free one: a cluster stopped and
// started again under a running serve is where serve's connection string
// says it is, and serve reconnects by itself.
func (c *Cluster) portAgain() (int, error) {
	if opts, err := os.ReadFile(filepath.Join(c.Dir, "postmaster.opts")); err == nil {
		fields := strings.Fields(strings.ReplaceAll(string(opts), `"`, ""))
		for i, f := range fields {
			if f != "-p" || i+1 == len(fields) {
				continue
			}
			if port, err := strconv.Atoi(fields[i+1]); err == nil && port > 0 && portFree(port) {
				return port, nil
			}
		}
	}
	return freePort()
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
