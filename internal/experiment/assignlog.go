package experiment

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
)

// AssignmentLog records treatment assignments as the AppConfig Agent's
// EXPERIMENT_ASSIGNMENT_LOG_DESTINATION does: one JSON line per treatment
// served to an entity (overrides included), either to a stream
// ("stderr") with every field, or ("file:DIR") to
// DIR/{region}/{account}/{applicationId}/{definitionId}/{run}_{salt}.jsonl
// with the timestamp, treatment key and entity ID, where salt is this
// process's (so several servers never write one file). Entity IDs are
// written as given.
type AssignmentLog struct {
	now func() time.Time
	mu  sync.Mutex
	w   io.Writer // stream mode
	dir string    // file mode
	// salt names this process's files.
	salt  string
	files map[string]*os.File
	err   error // the first write error (reported once by Err)
}

// OpenAssignmentLog opens a destination: "stderr" (written to stderr)
// or "file:DIR". now stamps each record (the service clock).
func OpenAssignmentLog(dest string, stderr io.Writer, now func() time.Time) (*AssignmentLog, error) {
	l := &AssignmentLog{now: now, files: map[string]*os.File{}}
	switch {
	case dest == "stderr":
		l.w = stderr
	case strings.HasPrefix(dest, "file:") && len(dest) > len("file:"):
		l.dir = strings.TrimPrefix(dest, "file:")
		var b [6]byte
		_, _ = rand.Read(b[:])
		l.salt = hex.EncodeToString(b[:])
		if err := os.MkdirAll(l.dir, 0o755); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New(`the assignment log destination is "stderr" or "file:DIR"`)
	}
	return l, nil
}

// streamRecord is a line of the stream form.
type streamRecord struct {
	Type         string `json:"type"`
	Timestamp    string `json:"timestamp"`
	Region       string `json:"region"`
	AccountID    string `json:"accountId"`
	Application  string `json:"applicationId"`
	Definition   string `json:"experimentDefinitionId"`
	RunNumber    string `json:"experimentRunNumber"`
	TreatmentKey string `json:"treatmentKey"`
	EntityID     string `json:"entityId"`
}

// fileRecord is a line of the file form.
type fileRecord struct {
	Timestamp    string `json:"timestamp"`
	TreatmentKey string `json:"treatmentKey"`
	EntityID     string `json:"entityId"`
}

// Record logs one assignment.
func (l *AssignmentLog) Record(sc appconfig.Scope, r *ServedRun, treatmentKey, entity string) {
	ts := l.now().UTC().Format("2006-01-02T15:04:05.000Z")
	run := r.Run
	var line []byte
	if l.w != nil {
		line, _ = json.Marshal(streamRecord{Type: "AWS.AppConfig.TreatmentAssignment", Timestamp: ts, Region: sc.Region, AccountID: sc.Account,
			Application: run.ApplicationID, Definition: run.DefinitionID, RunNumber: r.RunNumber(), TreatmentKey: treatmentKey, EntityID: entity})
	} else {
		line, _ = json.Marshal(fileRecord{Timestamp: ts, TreatmentKey: treatmentKey, EntityID: entity})
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.w
	if w == nil {
		f, err := l.file(sc, run)
		if err != nil {
			l.fail(err)
			return
		}
		w = f
	}
	if _, err := w.Write(line); err != nil {
		l.fail(err)
	}
}

func (l *AssignmentLog) fail(err error) {
	if l.err == nil {
		l.err = err
	}
}

// file opens (once) the file of a run.
func (l *AssignmentLog) file(sc appconfig.Scope, run *appconfig.ExperimentRun) (*os.File, error) {
	dir := filepath.Join(l.dir, safe(sc.Region), safe(sc.Account), safe(run.ApplicationID), safe(run.DefinitionID))
	path := filepath.Join(dir, itoa(run.Run)+"_"+l.salt+".jsonl")
	if f := l.files[path]; f != nil {
		return f, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	l.files[path] = f
	return f, nil
}

// safe keeps a path element inside its directory.
func safe(s string) string {
	if s == "" || s == "." || s == ".." || strings.ContainsAny(s, `/\`) {
		return "_"
	}
	return s
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// Err returns the first write error, if any.
func (l *AssignmentLog) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Close closes the files opened.
func (l *AssignmentLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	for p, f := range l.files {
		errs = append(errs, f.Close())
		delete(l.files, p)
	}
	return errors.Join(errs...)
}
