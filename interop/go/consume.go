// The `consume` op for the franz-go driver: direct partition consumption without a
// group. Owns positioning (resolved with kadm ListOffsets before `ready`, so that a
// `latest` job cannot miss records produced right after it) and the record JSON shape
// shared with group-member; must not join groups or commit.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

type consumeParams struct {
	Topic      string          `json:"topic"`
	Partitions []int32         `json:"partitions"`
	From       json.RawMessage `json:"from"`
	Count      int             `json:"count"`
}

// fromSpec is one of "earliest" | "latest" | {"offset": n} | {"timestamp": ms}.
type fromSpec struct {
	kind  string
	value int64
}

func parseFrom(raw json.RawMessage) (fromSpec, error) {
	if len(raw) == 0 {
		return fromSpec{kind: "earliest"}, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == "earliest" || s == "latest" {
			return fromSpec{kind: s}, nil
		}
		return fromSpec{}, fmt.Errorf("unknown from %q", s)
	}
	var o struct {
		Offset    *int64 `json:"offset"`
		Timestamp *int64 `json:"timestamp"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return fromSpec{}, fmt.Errorf("bad from %s", raw)
	}
	if o.Offset != nil {
		return fromSpec{kind: "offset", value: *o.Offset}, nil
	}
	if o.Timestamp != nil {
		return fromSpec{kind: "timestamp", value: *o.Timestamp}, nil
	}
	return fromSpec{}, fmt.Errorf("bad from %s", raw)
}

func recordJSON(r *kgo.Record) map[string]any {
	var key any
	if r.Key != nil {
		key = string(r.Key)
	}
	headers := make([][2]string, 0, len(r.Headers))
	for _, h := range r.Headers {
		headers = append(headers, [2]string{h.Key, string(h.Value)})
	}
	return map[string]any{
		"partition": r.Partition,
		"offset":    r.Offset,
		"key":       key,
		"value":     string(r.Value),
		"headers":   headers,
		"timestamp": r.Timestamp.UnixMilli(),
	}
}

// positions resolves `from` to one exact offset per partition.
func positions(ctx context.Context, adm *kadm.Client, topic string, parts []int32, from fromSpec) (map[int32]int64, error) {
	out := make(map[int32]int64, len(parts))
	if from.kind == "offset" {
		for _, p := range parts {
			out[p] = from.value
		}
		return out, nil
	}
	var listed kadm.ListedOffsets
	var err error
	switch from.kind {
	case "earliest":
		listed, err = adm.ListStartOffsets(ctx, topic)
	case "latest":
		listed, err = adm.ListEndOffsets(ctx, topic)
	case "timestamp":
		// kadm answers the end offset where no record is at/after the time, which is
		// where a consumer seeking by time starts (Kafka's consumer does the same).
		listed, err = adm.ListOffsetsAfterMilli(ctx, from.value, topic)
	}
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		lo, ok := listed.Lookup(topic, p)
		if !ok {
			return nil, fmt.Errorf("no offset listed for %s[%d]", topic, p)
		}
		if lo.Err != nil {
			return nil, fmt.Errorf("list offsets %s[%d]: %s", topic, p, errText(lo.Err))
		}
		out[p] = lo.Offset
	}
	return out, nil
}

func runConsume(ctx context.Context, timeout time.Duration, j job) {
	var p consumeParams
	if err := json.Unmarshal(j.Params, &p); err != nil {
		result("error", "bad consume params: "+err.Error(), nil)
	}
	from, err := parseFrom(p.From)
	if err != nil {
		result("error", err.Error(), nil)
	}
	records := make([]map[string]any, 0, p.Count)
	data := map[string]any{"records": records}

	admCl, err := kgo.NewClient(baseOpts(j.Bootstrap)...)
	if err != nil {
		result("error", "client config: "+errText(err), data)
	}
	adm := kadm.NewClient(admCl)
	parts := p.Partitions
	if len(parts) == 0 {
		tds, err := adm.ListTopics(ctx, p.Topic)
		if err != nil {
			result("error", "metadata: "+errText(err), data)
		}
		td, ok := tds[p.Topic]
		if !ok || td.Err != nil {
			result("error", fmt.Sprintf("metadata for %s: %s", p.Topic, errText(td.Err)), data)
		}
		for part := range td.Partitions {
			parts = append(parts, part)
		}
		sort.Slice(parts, func(a, b int) bool { return parts[a] < parts[b] })
	}
	pos, err := positions(ctx, adm, p.Topic, parts, from)
	admCl.Close()
	if err != nil {
		if ctx.Err() != nil {
			result("error", fmt.Sprintf("timed out after %d ms waiting for partition positions", timeout.Milliseconds()), data)
		}
		result("error", errText(err), data)
	}
	logf("positions %v", pos)

	offsets := make(map[int32]kgo.Offset, len(pos))
	for part, off := range pos {
		offsets[part] = kgo.NewOffset().At(off)
	}
	cl, err := kgo.NewClient(append(baseOpts(j.Bootstrap),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{p.Topic: offsets}),
	)...)
	if err != nil {
		result("error", "client config: "+errText(err), data)
	}
	defer cl.Close()
	event("ready", nil)

	for len(records) < p.Count {
		fetches := cl.PollRecords(ctx, p.Count-len(records))
		fetches.EachError(func(t string, part int32, err error) {
			if err != context.DeadlineExceeded && err != context.Canceled {
				logf("fetch error %s[%d]: %v", t, part, err)
			}
		})
		fetches.EachRecord(func(r *kgo.Record) {
			records = append(records, recordJSON(r))
		})
		if ctx.Err() != nil {
			break
		}
	}
	data["records"] = records
	if len(records) < p.Count {
		result("error", fmt.Sprintf("timed out after %d ms waiting for records (%d of %d arrived)", timeout.Milliseconds(), len(records), p.Count), data)
	}
	result("ok", "", data)
}
