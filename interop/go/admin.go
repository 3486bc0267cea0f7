// The `admin` op for the franz-go driver: every step through kadm (one raw kmsg
// ListOffsets for the timestamp spec, see below). Owns the step table and the
// per-step result shape; never stops at a failed step.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type adminStep struct {
	Do         string                     `json:"do"`
	Topic      string                     `json:"topic"`
	Partitions json.RawMessage            `json:"partitions"`
	Configs    map[string]json.RawMessage `json:"configs"`
	Keys       []string                   `json:"keys"`
	Set        map[string]json.RawMessage `json:"set"`
	Count      int                        `json:"count"`
	Partition  int32                      `json:"partition"`
	Offset     int64                      `json:"offset"`
	Spec       json.RawMessage            `json:"spec"`
	GroupID    string                     `json:"groupId"`
}

// partitionCount is a create/createPartitions step's partition count. Other steps
// (deleteOffsets, a java-only one) give "partitions" as a list, so the field is read
// lazily: an unknown step must reach the "unsupported" answer, not fail in decoding.
func (s adminStep) partitionCount() int32 {
	var n int32
	if len(s.Partitions) == 0 || json.Unmarshal(s.Partitions, &n) != nil {
		return 0
	}
	return n
}

// configValue takes a config value as the job gives it (a string, or a bare number
// or bool) and returns the string Kafka carries.
func configValue(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return string(raw)
}

type stepResult = map[string]any

func fail(err error) stepResult { return stepResult{"ok": false, "error": errText(err)} }

// settle waits, within the op's deadline, until check sees a step's effect. Apache
// Kafka applies topic and config changes through its controller and its brokers learn
// them a moment later, so a step counts as done only once its effect is visible
// (interop/README.md, `admin`); Samsa shows them at once. A check error means "not yet".
func settle(ctx context.Context, what string, check func() (bool, error)) error {
	for {
		if done, err := check(); err == nil && done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("deadline passed waiting for %s", what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// partitionCount reads fresh metadata: -1 when the broker does not know the topic.
func partitionCount(ctx context.Context, adm *kadm.Client, topic string) (int, error) {
	tds, err := adm.ListTopics(kadm.WithAuthorizedOps(ctx), topic)
	if err != nil {
		return 0, err
	}
	td, ok := tds[topic]
	if !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
		return -1, nil
	}
	if td.Err != nil {
		return 0, td.Err
	}
	return len(td.Partitions), nil
}

// failMsg adds the broker's own error message (when it sent one) to the error name.
func failMsg(err error, brokerMsg string) stepResult {
	if brokerMsg == "" {
		return fail(err)
	}
	return stepResult{"ok": false, "error": errText(err) + " (broker: " + brokerMsg + ")"}
}

func runAdmin(ctx context.Context, timeout time.Duration, j job) {
	var p struct {
		Steps []adminStep `json:"steps"`
	}
	if err := json.Unmarshal(j.Params, &p); err != nil {
		result("error", "bad admin params: "+err.Error(), nil)
	}
	// kgo answers kadm's metadata needs from a cache for MetadataMinAge (5 s by
	// default), so a step right after a create/delete/createPartitions could see the
	// topic as it was; the smallest age kgo allows keeps sharded steps current.
	cl, err := kgo.NewClient(append(baseOpts(j.Bootstrap), kgo.MetadataMinAge(10*time.Millisecond))...)
	if err != nil {
		result("error", "client config: "+errText(err), nil)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	results := make([]stepResult, 0, len(p.Steps))
	for i, s := range p.Steps {
		r := runStep(ctx, cl, adm, s)
		results = append(results, r)
		if ctx.Err() != nil {
			result("error", fmt.Sprintf("timed out after %d ms waiting for admin step %d (%s)", timeout.Milliseconds(), i, s.Do), map[string]any{"results": results})
		}
	}
	result("ok", "", map[string]any{"results": results})
}

func runStep(ctx context.Context, cl *kgo.Client, adm *kadm.Client, s adminStep) stepResult {
	switch s.Do {
	case "createTopic":
		configs := make(map[string]*string, len(s.Configs))
		for k, v := range s.Configs {
			val := configValue(v)
			configs[k] = &val
		}
		// -1 replication factor: the broker default, as Kafka's NewTopic(name, n, empty) asks.
		// kadm returns the topic's error as err too; the response also holds the broker's message.
		resp, err := adm.CreateTopic(ctx, s.partitionCount(), -1, configs, s.Topic)
		if resp.Err != nil {
			return failMsg(resp.Err, resp.ErrMessage)
		}
		if err != nil {
			return fail(err)
		}
		want := max(1, int(s.partitionCount()))
		if err := settle(ctx, "topic "+s.Topic+" in metadata", func() (bool, error) {
			n, err := partitionCount(ctx, adm, s.Topic)
			return n >= want, err
		}); err != nil {
			return fail(err)
		}
		return stepResult{"ok": true}

	case "listTopics":
		// WithAuthorizedOps makes kadm send a fresh Metadata request instead of
		// reading kgo's cache, which may still hold a topic deleted a moment ago.
		tds, err := adm.ListTopics(kadm.WithAuthorizedOps(ctx)) // drops topics the broker marks internal
		if err != nil {
			return fail(err)
		}
		names := []string{}
		for name, td := range tds {
			if td.Err == nil {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		return stepResult{"ok": true, "topics": names}

	case "describeTopic":
		tds, err := adm.ListTopics(kadm.WithAuthorizedOps(ctx), s.Topic)
		if err != nil {
			return fail(err)
		}
		td, ok := tds[s.Topic]
		if !ok {
			return fail(kerr.UnknownTopicOrPartition)
		}
		if td.Err != nil {
			return fail(td.Err)
		}
		return stepResult{"ok": true, "partitions": len(td.Partitions)}

	case "deleteTopic":
		// kadm returns the topic's error as err too; the response also holds the broker's message.
		resp, err := adm.DeleteTopic(ctx, s.Topic)
		if resp.Err != nil {
			return failMsg(resp.Err, resp.ErrMessage)
		}
		if err != nil {
			return fail(err)
		}
		if err := settle(ctx, "topic "+s.Topic+" gone from metadata", func() (bool, error) {
			n, err := partitionCount(ctx, adm, s.Topic)
			return n < 0, err
		}); err != nil {
			return fail(err)
		}
		return stepResult{"ok": true}

	case "describeConfigs":
		rcs, err := adm.DescribeTopicConfigs(ctx, s.Topic)
		if err != nil {
			return fail(err)
		}
		rc, err := rcs.On(s.Topic, nil)
		if err != nil {
			return fail(err)
		}
		if rc.Err != nil {
			return failMsg(rc.Err, rc.ErrMessage)
		}
		want := make(map[string]bool, len(s.Keys))
		for _, k := range s.Keys {
			want[k] = true
		}
		configs := map[string]any{}
		for _, k := range s.Keys {
			configs[k] = nil // a key the broker does not report is null, as in the Java driver
		}
		for _, c := range rc.Configs {
			if want[c.Key] && c.Value != nil {
				configs[c.Key] = *c.Value
			}
		}
		return stepResult{"ok": true, "configs": configs}

	case "alterConfigs":
		alters := make([]kadm.AlterConfig, 0, len(s.Set))
		for k, v := range s.Set {
			val := configValue(v)
			alters = append(alters, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: &val})
		}
		resps, err := adm.AlterTopicConfigs(ctx, alters, s.Topic) // IncrementalAlterConfigs
		if err != nil {
			return fail(err)
		}
		for _, r := range resps {
			if r.Err != nil {
				return failMsg(r.Err, r.ErrMessage)
			}
		}
		if err := settle(ctx, "the new configs of "+s.Topic, func() (bool, error) {
			rcs, err := adm.DescribeTopicConfigs(ctx, s.Topic)
			if err != nil {
				return false, err
			}
			rc, err := rcs.On(s.Topic, nil)
			if err != nil || rc.Err != nil {
				return false, err
			}
			now := map[string]string{}
			for _, c := range rc.Configs {
				if c.Value != nil {
					now[c.Key] = *c.Value
				}
			}
			for _, a := range alters {
				if v, ok := now[a.Name]; !ok || v != *a.Value {
					return false, nil
				}
			}
			return true, nil
		}); err != nil {
			return fail(err)
		}
		return stepResult{"ok": true}

	case "createPartitions":
		resps, err := adm.UpdatePartitions(ctx, s.Count, s.Topic) // a new total, like Kafka's NewPartitions.increaseTo
		if err != nil {
			return fail(err)
		}
		if r, ok := resps[s.Topic]; ok && r.Err != nil {
			return failMsg(r.Err, r.ErrMessage)
		}
		if err := settle(ctx, fmt.Sprintf("%d partitions of %s in metadata", s.Count, s.Topic), func() (bool, error) {
			n, err := partitionCount(ctx, adm, s.Topic)
			return n >= s.Count, err
		}); err != nil {
			return fail(err)
		}
		return stepResult{"ok": true}

	case "deleteRecords":
		os := make(kadm.Offsets)
		os.Add(kadm.Offset{Topic: s.Topic, Partition: s.Partition, At: s.Offset, LeaderEpoch: -1})
		resps, err := adm.DeleteRecords(ctx, os)
		if err != nil {
			return fail(err)
		}
		r, ok := resps.Lookup(s.Topic, s.Partition)
		if !ok {
			return fail(fmt.Errorf("no delete records response for %s[%d]", s.Topic, s.Partition))
		}
		if r.Err != nil {
			return fail(r.Err)
		}
		return stepResult{"ok": true, "lowWatermark": r.LowWatermark}

	case "listOffsets":
		return listOffsetsStep(ctx, cl, adm, s)

	case "listGroups":
		lgs, err := adm.ListGroups(ctx)
		if err != nil {
			return fail(err)
		}
		groups := lgs.Groups()
		sort.Strings(groups)
		return stepResult{"ok": true, "groups": groups}

	case "describeGroup":
		dgs, err := adm.DescribeGroups(ctx, s.GroupID)
		if err != nil {
			return fail(err)
		}
		dg, ok := dgs[s.GroupID]
		if !ok {
			return fail(fmt.Errorf("no describe response for group %q", s.GroupID))
		}
		if dg.Err != nil {
			return failMsg(dg.Err, dg.ErrMessage)
		}
		return stepResult{"ok": true, "state": dg.State, "members": len(dg.Members)}

	case "deleteGroup":
		r, err := adm.DeleteGroup(ctx, s.GroupID)
		if err == nil {
			err = r.Err
		}
		if err != nil {
			return fail(err)
		}
		return stepResult{"ok": true}

	case "fetchOffsets":
		// Every partition of the topic, -1 where the group has no commit.
		ors, err := adm.FetchOffsetsForTopics(ctx, s.GroupID, s.Topic)
		if err != nil {
			return fail(err)
		}
		offsets := map[string]int64{}
		for part, o := range ors[s.Topic] {
			if o.Err != nil {
				return fail(o.Err)
			}
			offsets[strconv.Itoa(int(part))] = o.At
		}
		return stepResult{"ok": true, "offsets": offsets}
	}
	// A step this driver has no implementation for (e.g. the Java-only cluster steps): "not in this client".
	return stepResult{"ok": false, "unsupported": true, "error": fmt.Sprintf("unknown step %q: not implemented in the go driver", s.Do)}
}

// listOffsetsStep answers what the broker answers. kadm's by-time helper replaces a
// "no such record" (-1) with the end offset, which hides the broker's reply and
// differs from Kafka's AdminClient, so the timestamp spec goes out as a plain
// ListOffsets request (kgo still routes it to the partition leader).
func listOffsetsStep(ctx context.Context, cl *kgo.Client, adm *kadm.Client, s adminStep) stepResult {
	var spec string
	var ts struct {
		Timestamp *int64 `json:"timestamp"`
	}
	if err := json.Unmarshal(s.Spec, &spec); err != nil {
		if err := json.Unmarshal(s.Spec, &ts); err != nil || ts.Timestamp == nil {
			return stepResult{"ok": false, "error": fmt.Sprintf("bad spec %s", s.Spec)}
		}
	}
	if spec == "earliest" || spec == "latest" {
		var listed kadm.ListedOffsets
		var err error
		if spec == "earliest" {
			listed, err = adm.ListStartOffsets(ctx, s.Topic)
		} else {
			listed, err = adm.ListEndOffsets(ctx, s.Topic)
		}
		if err != nil {
			return fail(err)
		}
		lo, ok := listed.Lookup(s.Topic, s.Partition)
		if !ok {
			if lo, ok = listed.Lookup(s.Topic, -1); ok && lo.Err != nil {
				return fail(lo.Err)
			}
			return fail(kerr.UnknownTopicOrPartition)
		}
		if lo.Err != nil {
			return fail(lo.Err)
		}
		return stepResult{"ok": true, "offset": lo.Offset}
	}
	if spec != "" {
		return stepResult{"ok": false, "error": fmt.Sprintf("bad spec %q", spec)}
	}
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = s.Topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Partition = s.Partition
	rp.CurrentLeaderEpoch = -1
	rp.Timestamp = *ts.Timestamp
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fail(err)
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if t.Topic == s.Topic && p.Partition == s.Partition {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					return fail(err)
				}
				return stepResult{"ok": true, "offset": p.Offset}
			}
		}
	}
	return fail(fmt.Errorf("no list offsets response for %s[%d]", s.Topic, s.Partition))
}
