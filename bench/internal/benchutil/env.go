package benchutil

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func fmtFloat(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

// Machine describes where a run happened.
type Machine struct {
	Date         string `json:"date"`
	NumCPU       int    `json:"nproc"`
	CPUModel     string `json:"cpuModel"`
	GoVersion    string `json:"goVersion"`
	Commit       string `json:"commit"`
	LoadAvgStart string `json:"loadavgStart"`
	LoadAvgEnd   string `json:"loadavgEnd"`
	Pinning      string `json:"pinning,omitempty"`
}

// DescribeMachine reads the machine facts and the tree's commit; call
// End when the run is over.
func DescribeMachine() Machine {
	return Machine{
		Date: time.Now().UTC().Format(time.RFC3339), NumCPU: runtime.NumCPU(), GoVersion: runtime.Version(),
		CPUModel: CPUModel(), Commit: GitState(), LoadAvgStart: LoadAvg(),
		Pinning: Pinning(),
	}
}

// End records the load average at the end of the run.
func (m *Machine) End() { m.LoadAvgEnd = LoadAvg() }

// String is the one-line summary printed under a report's title.
func (m Machine) String() string {
	s := fmt.Sprintf("commit %s · nproc %d (%s) · %s · loadavg %s → %s", orNA(m.Commit), m.NumCPU, m.CPUModel, m.GoVersion, m.LoadAvgStart, m.LoadAvgEnd)
	if m.Pinning != "" {
		s += " · " + m.Pinning
	}
	return s
}

func orNA(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}

// CPUModel is the first "model name" of /proc/cpuinfo.
func CPUModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// GitState is the short commit of the tree under test, "+dirty" when
// files outside bench/ have uncommitted changes.
func GitState() string {
	root, err := ModuleRoot()
	if err != nil {
		return ""
	}
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	c := strings.TrimSpace(string(out))
	st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--", ".", ":(exclude)bench").Output()
	if err == nil && len(strings.TrimSpace(string(st))) > 0 {
		c += "+dirty"
	}
	return c
}

// LoadAvg is the 1, 5 and 15 minute load average.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
