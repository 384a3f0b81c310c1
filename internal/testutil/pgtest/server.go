package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Server is a PostgreSQL server of a test's own, in a temporary directory,
// that the test may stop and start again (the machine's shared server must
// not be restarted under other tests).
type Server struct {
	// URL is the server's database "test" as its superuser "root", trust
	// authentication, on 127.0.0.1.
	URL string

	t    testing.TB
	bin  string // the directory of initdb, pg_ctl and postgres
	data string
	port int
	as   []string // runuser -u postgres --, when running as root
}

// ServerBinEnv names the directory of PostgreSQL's server binaries (initdb,
// pg_ctl). When it is set (.ci/run sets it), a test that needs a server of
// its own fails instead of skipping when they are not there.
const ServerBinEnv = "USERPORT_TEST_PG_BIN"

// StartServer initialises and starts a PostgreSQL server for t, stopped
// and removed when t ends. Without ServerBinEnv it looks for the binaries
// in $PATH and under /usr/lib/postgresql/*/bin, and skips t, saying what
// is missing, when there are none or when, running as root, there is no
// "postgres" user to run them as (PostgreSQL refuses to run as root).
func StartServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, bin: os.Getenv(ServerBinEnv)}
	if s.bin != "" {
		if _, err := os.Stat(filepath.Join(s.bin, "pg_ctl")); err != nil {
			t.Fatalf("%s=%s: %v", ServerBinEnv, s.bin, err)
		}
	} else if s.bin = serverBin(); s.bin == "" {
		t.Skip("no PostgreSQL server binaries (initdb, pg_ctl): install the postgresql package, or set " + ServerBinEnv +
			" to their directory, to run the PostgreSQL restart tests")
	}
	dir, err := os.MkdirTemp("", "userport-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		s.runAsPostgres(t, dir)
	}
	s.data = filepath.Join(dir, "data")
	s.port = freePort(t)
	s.URL = fmt.Sprintf("postgres://root@127.0.0.1:%d/test?sslmode=disable&connect_timeout=5", s.port)
	s.run("initdb", "--no-sync", "--auth=trust", "--username=root", "--encoding=UTF8", "--locale=C", "-D", s.data)
	s.Start()
	t.Cleanup(func() { _, _ = s.ctl("stop", "-m", "immediate") })
	Exec(t, fmt.Sprintf("postgres://root@127.0.0.1:%d/postgres?sslmode=disable", s.port), "CREATE DATABASE test")
	return s
}

// runAsPostgres makes the server's commands run as the postgres user, who
// owns dir.
func (s *Server) runAsPostgres(t testing.TB, dir string) {
	u, err := user.Lookup("postgres")
	if err != nil {
		missing(t, "running as root and no postgres user to run PostgreSQL as: "+err.Error())
	}
	if _, err := exec.LookPath("runuser"); err != nil {
		missing(t, "running as root and no runuser to run PostgreSQL as the postgres user")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	s.as = []string{"runuser", "-u", "postgres", "--"}
}

// missing skips t for want of what msg says, or fails it when
// ServerBinEnv says the server must run (in CI).
func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv(ServerBinEnv) != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// serverBin finds the directory of PostgreSQL's server binaries: that of
// initdb in $PATH, or the newest /usr/lib/postgresql/*/bin.
func serverBin() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(real)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_ctl")); err == nil {
			return dirs[i]
		}
	}
	return ""
}

// version is the major version in /usr/lib/postgresql/VERSION/bin.
func version(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// command is one of the server's programs with its arguments, as the user
// that runs the server.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	argv := append(append(append([]string{}, s.as...), filepath.Join(s.bin, name)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = os.TempDir()
	return cmd
}

// run runs one of the server's programs and fails t when it fails.
func (s *Server) run(name string, args ...string) {
	s.t.Helper()
	if out, err := s.command(name, args...).CombinedOutput(); err != nil {
		s.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// ctl runs pg_ctl on the data directory.
func (s *Server) ctl(args ...string) ([]byte, error) {
	return s.command("pg_ctl", append([]string{"-D", s.data, "-w", "-t", "60"}, args...)...).CombinedOutput()
}

// Start starts the server and waits until it accepts connections.
func (s *Server) Start() {
	s.t.Helper()
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k '' -c fsync=off -c full_page_writes=off", s.port)
	if out, err := s.ctl("start", "-l", filepath.Join(filepath.Dir(s.data), "log"), "-o", opts); err != nil {
		s.t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
}

// Stop stops the server in fast mode, as an operator's restart does: the
// open connections are ended (57P01 admin_shutdown), new ones refused.
func (s *Server) Stop() {
	s.t.Helper()
	if out, err := s.ctl("stop", "-m", "fast"); err != nil {
		s.t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}
