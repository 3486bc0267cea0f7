// The `group-member` op for the franz-go driver: one consumer-group member with
// auto-commit off. Owns the assignment bookkeeping behind the `assigned` events and
// the commit/stop commands; rebalances are held while a poll is being handled
// (BlockRebalanceOnPoll) so a commit never spans a rebalance.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

type groupParams struct {
	Topic           string `json:"topic"`
	GroupID         string `json:"groupId"`
	Assignor        string `json:"assignor"`
	AutoOffsetReset string `json:"autoOffsetReset"`
	// GroupProtocol is "classic" (default) or "consumer" (KIP-848, the broker assigns).
	GroupProtocol string `json:"groupProtocol"`
}

// assignment is the member's full current assignment of the job's topic.
type assignment struct {
	mu    sync.Mutex
	parts map[int32]bool
}

func (a *assignment) apply(add, remove map[string][]int32, topic string) []int32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range remove[topic] {
		delete(a.parts, p)
	}
	for _, p := range add[topic] {
		a.parts[p] = true
	}
	list := make([]int32, 0, len(a.parts))
	for p := range a.parts {
		list = append(list, p)
	}
	sort.Slice(list, func(i, j int) bool { return list[i] < list[j] })
	return list
}

// pollWait bounds one poll so that stdin commands are served between polls, on the
// same goroutine that prints records: "what it has consumed" is then exactly what
// was printed.
const pollWait = 200 * time.Millisecond

func runGroupMember(timeout time.Duration, j job, in *bufio.Reader) {
	var p groupParams
	if err := json.Unmarshal(j.Params, &p); err != nil {
		result("error", "bad group-member params: "+err.Error(), nil)
	}
	var balancer kgo.GroupBalancer
	var groupOpts []kgo.Opt
	switch {
	case p.GroupProtocol == "consumer":
		// kgo speaks KIP-848 with ServerSideBalancer and a range or sticky balancer,
		// which it sends as the server assignor "range" or "uniform".
		switch p.Assignor {
		case "range":
			balancer = kgo.RangeBalancer()
		case "uniform":
			balancer = kgo.StickyBalancer()
		default:
			result("error", fmt.Sprintf("assignor must be range or uniform with groupProtocol consumer, got %q", p.Assignor), nil)
		}
		groupOpts = append(groupOpts, kgo.ServerSideBalancer())
	case p.GroupProtocol != "" && p.GroupProtocol != "classic":
		result("error", fmt.Sprintf("unknown groupProtocol %q", p.GroupProtocol), nil)
	case p.Assignor == "" || p.Assignor == "range":
		balancer = kgo.RangeBalancer()
	case p.Assignor == "cooperative-sticky":
		balancer = kgo.CooperativeStickyBalancer()
	default:
		result("error", fmt.Sprintf("unknown assignor %q", p.Assignor), nil)
	}
	reset := kgo.NewOffset().AtStart()
	if p.AutoOffsetReset == "latest" {
		reset = kgo.NewOffset().AtEnd()
	}
	cur := &assignment{parts: map[int32]bool{}}
	var assignedOnce atomic.Bool
	cl, err := kgo.NewClient(append(append(baseOpts(j.Bootstrap), groupOpts...),
		kgo.ConsumerGroup(p.GroupID),
		kgo.ConsumeTopics(p.Topic),
		kgo.Balancers(balancer),
		kgo.ConsumeResetOffset(reset),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		// kgo calls OnPartitionsAssigned at the end of every rebalance, with only the
		// newly added partitions (possibly none), so each rebalance prints once.
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, added map[string][]int32) {
			list := cur.apply(added, nil, p.Topic)
			assignedOnce.Store(true)
			event("assigned", map[string]any{"partitions": list})
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, revoked map[string][]int32) {
			cur.apply(nil, revoked, p.Topic)
			logf("revoked %v", revoked[p.Topic])
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
			cur.apply(nil, lost, p.Topic)
			logf("lost %v", lost[p.Topic])
		}),
	)...)
	if err != nil {
		result("error", "client config: "+errText(err), nil)
	}
	cmds := readCommands(in)
	deadline := time.Now().Add(timeout)
	consumed := 0
	for {
		if !assignedOnce.Load() && time.Now().After(deadline) {
			cl.CloseAllowingRebalance()
			result("error", fmt.Sprintf("timed out after %d ms waiting for the first assignment", timeout.Milliseconds()), map[string]any{"consumed": consumed})
		}
		pollCtx, cancel := context.WithTimeout(context.Background(), pollWait)
		fetches := cl.PollFetches(pollCtx)
		cancel()
		fetches.EachError(func(t string, part int32, err error) {
			if err != context.DeadlineExceeded && err != context.Canceled {
				logf("fetch error %s[%d]: %v", t, part, err)
			}
		})
		var batch []map[string]any
		fetches.EachRecord(func(r *kgo.Record) { batch = append(batch, recordJSON(r)) })
		if len(batch) > 0 {
			consumed += len(batch)
			event("records", map[string]any{"records": batch})
		}
		for drained := false; !drained; {
			select {
			case c := <-cmds:
				switch c {
				case "commit":
					err := commit(cl, timeout)
					if err != nil {
						event("committed", map[string]any{"error": errText(err)})
					} else {
						event("committed", nil)
					}
				case "stop":
					err := commit(cl, timeout)
					cl.AllowRebalance()
					cl.Close() // leaves the group (LeaveGroup) and waits for it
					if err != nil {
						result("error", "commit before leaving: "+errText(err), map[string]any{"consumed": consumed})
					}
					result("ok", "", map[string]any{"consumed": consumed})
				default:
					logf("unknown command %q", c)
				}
			default:
				drained = true
			}
		}
		cl.AllowRebalance()
	}
}

func commit(cl *kgo.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return cl.CommitUncommittedOffsets(ctx)
}
