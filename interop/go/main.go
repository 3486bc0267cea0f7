// Interop driver for franz-go (kgo + kadm): reads one job from stdin, runs it, and
// writes JSON lines to stdout as interop/README.md specifies. This file owns the
// job framing (stdin job line, stdout events/result, exit codes, deadlines) and the
// helpers shared by the ops; it must not decide whether a case passed: the suite does.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

type job struct {
	Op        string          `json:"op"`
	Bootstrap string          `json:"bootstrap"`
	Params    json.RawMessage `json:"params"`
}

// out serialises every stdout line: kgo callbacks run on their own goroutines and a
// torn line would break the suite's parser.
type out struct {
	mu sync.Mutex
	w  *bufio.Writer
}

var stdout = &out{w: bufio.NewWriterSize(os.Stdout, 1<<16)}

func (o *out) line(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own maps are marshalled; failing here is a driver bug.
		fmt.Fprintf(os.Stderr, "go driver: cannot marshal output: %v\n", err)
		os.Exit(2)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.w.Write(b)
	o.w.WriteByte('\n')
	o.w.Flush()
}

func event(name string, fields map[string]any) {
	m := map[string]any{"type": "event", "event": name}
	for k, v := range fields {
		m[k] = v
	}
	stdout.line(m)
}

// result prints the one last line and exits 0, as the contract asks for any printed result.
func result(status string, errMsg string, data map[string]any) {
	m := map[string]any{"type": "result", "status": status}
	if errMsg != "" {
		m["error"] = oneLine(errMsg)
	}
	if data != nil {
		m["data"] = data
	}
	stdout.line(m)
	os.Exit(0)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// errText names the Kafka error when the client surfaces one (kerr.Error prints
// "NAME: description"), so the suite can match on the name.
func errText(err error) string {
	if err == nil {
		return ""
	}
	var ke *kerr.Error
	if errors.As(err, &ke) && !strings.Contains(err.Error(), ke.Message) {
		return ke.Message + ": " + err.Error()
	}
	return err.Error()
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05.000")+" go driver: "+format+"\n", args...)
}

// baseOpts are the options every client of this driver shares: the bootstrap list
// and kgo's own logging on stderr (kept by the suite for failures), which is where a
// broker difference shows first.
func baseOpts(bootstrap string) []kgo.Opt {
	level := kgo.LogLevelInfo
	switch os.Getenv("INTEROP_LOG") {
	case "debug":
		level = kgo.LogLevelDebug
	case "warn":
		level = kgo.LogLevelWarn
	}
	return []kgo.Opt{
		kgo.SeedBrokers(strings.Split(bootstrap, ",")...),
		kgo.ClientID("samsa-interop-go"),
		kgo.WithLogger(kgo.BasicLogger(os.Stderr, level, func() string { return time.Now().Format("15:04:05.000 ") })),
	}
}

func timeoutOf(raw json.RawMessage) time.Duration {
	var p struct {
		TimeoutMs *int64 `json:"timeoutMs"`
	}
	_ = json.Unmarshal(raw, &p)
	if p.TimeoutMs == nil || *p.TimeoutMs <= 0 {
		return 30 * time.Second
	}
	return time.Duration(*p.TimeoutMs) * time.Millisecond
}

// commands carries the later stdin lines (group-member); EOF arrives as "stop".
func readCommands(r *bufio.Reader) <-chan string {
	ch := make(chan string, 16)
	go func() {
		for {
			line, err := r.ReadBytes('\n')
			if s := strings.TrimSpace(string(line)); s != "" {
				var c struct {
					Cmd string `json:"cmd"`
				}
				if jerr := json.Unmarshal([]byte(s), &c); jerr != nil {
					logf("ignoring bad command line %q: %v", s, jerr)
				} else {
					ch <- c.Cmd
				}
			}
			if err != nil {
				if err != io.EOF {
					logf("stdin: %v", err)
				}
				ch <- "stop"
				return
			}
		}
	}()
	return ch
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	first, err := in.ReadBytes('\n')
	if err != nil && (err != io.EOF || len(strings.TrimSpace(string(first))) == 0) {
		fmt.Fprintf(os.Stderr, "go driver: no job on stdin: %v\n", err)
		os.Exit(2)
	}
	var j job
	if err := json.Unmarshal(first, &j); err != nil {
		fmt.Fprintf(os.Stderr, "go driver: bad job line: %v\n", err)
		os.Exit(2)
	}
	if len(j.Params) == 0 {
		j.Params = json.RawMessage("{}")
	}
	timeout := timeoutOf(j.Params)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	switch j.Op {
	case "produce":
		runProduce(ctx, timeout, j)
	case "consume":
		runConsume(ctx, timeout, j)
	case "group-member":
		runGroupMember(timeout, j, in)
	case "admin":
		runAdmin(ctx, timeout, j)
	default:
		result("unsupported", fmt.Sprintf("unknown op %q", j.Op), nil)
	}
}
