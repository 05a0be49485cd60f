// Package stress runs rpod under load and under fire: many rpods at once in
// one store (concurrency_test.go) and kill -9 of rpod, its monitors and its
// pause process at random points (chaos_test.go). Both draw their choices
// from one seed, printed for replay:
//
//	stress.test -test.run Chaos -seed 42        (or RPOD_STRESS_SEED=42)
//	RPOD_STRESS=big stress.test -test.v         (the hand-run size)
//	RPOD_CHAOS_N=200 stress.test -test.run Chaos (so many kills)
//	RPOD_STRESS_TRACE=1                         (log every kill as it happens)
package stress

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rpod/rpod/internal/testworld"
)

var seedFlag = flag.Int64("seed", 0, "random seed for the stress and chaos suites (0: RPOD_STRESS_SEED, else the clock)")

var (
	suite   testworld.Suite
	baseDir string
	regAddr string
)

const buildTags = "exclude_graphdriver_btrfs containers_image_openpgp"

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if os.Geteuid() == 0 {
		fmt.Fprintln(os.Stderr, "stress: these tests drive rpod as an unprivileged user; run `make test` (as root it runs the suite as that user)")
		return 1
	}
	var err error
	baseDir, err = os.MkdirTemp("", "rpod-stress-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "stress:", err)
		return 1
	}
	bin := os.Getenv("RPOD_BIN")
	if bin == "" {
		bin = filepath.Join(baseDir, "rpod")
		build := exec.Command("go", "build", "-tags", buildTags, "-o", bin, "../../cmd/rpod")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "stress: build rpod:", err)
			return 1
		}
	}
	suite = testworld.Suite{Bin: bin, Dir: baseDir, Timeout: 3 * time.Minute}
	reg, err := suite.Serve("busybox", "multilayer")
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "stress setup:", err)
	} else {
		regAddr = reg.Addr
		code = m.Run()
	}
	if reg != nil {
		reg.Stop()
	}
	if code == 0 {
		os.RemoveAll(baseDir)
	} else {
		fmt.Fprintf(os.Stderr, "stress: left %s for inspection\n", baseDir)
	}
	return code
}

// big is the hand-run size (RPOD_STRESS=big); CI runs the small one.
func big() bool { return os.Getenv("RPOD_STRESS") == "big" }

// seed is the suite's seed, logged so that a failure can be replayed.
func seed(t *testing.T) int64 {
	t.Helper()
	keepTrace(t)
	s := *seedFlag
	if s == 0 {
		if v, err := strconv.ParseInt(os.Getenv("RPOD_STRESS_SEED"), 10, 64); err == nil {
			s = v
		}
	}
	if s == 0 {
		s = time.Now().UnixNano() % 1_000_000_007
	}
	size := "ci"
	if big() {
		size = "big"
	}
	t.Logf("seed %d, size %s: replay with -seed %d (or RPOD_STRESS_SEED=%d), RPOD_STRESS=%s", s, size, s, s, size)
	return s
}
