// The `produce` op for the franz-go driver: one kgo producer per job, records in
// order, every delivery awaited. Owns the choice of partitioner (kgo's default, with
// an explicit partition honoured per record); must not touch consumer/admin options.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

type produceParams struct {
	Topic       string          `json:"topic"`
	Acks        *int            `json:"acks"`
	Compression string          `json:"compression"`
	Idempotent  *bool           `json:"idempotent"`
	Records     []produceRecord `json:"records"`
}

type produceRecord struct {
	Key       *string     `json:"key"`
	Value     *string     `json:"value"`
	Headers   [][2]string `json:"headers"`
	Partition *int32      `json:"partition"`
	Timestamp *int64      `json:"timestamp"`
}

type manualKey struct{}

// explicitPartitioner keeps kgo's default partitioner for records without a
// partition (murmur2 for keys, as Kafka's Java client does) and uses the record's
// Partition field for the ones the job pinned; the mark travels in Record.Context.
type explicitPartitioner struct{ inner kgo.Partitioner }

func (p explicitPartitioner) ForTopic(t string) kgo.TopicPartitioner {
	return &explicitTopicPartitioner{inner: p.inner.ForTopic(t)}
}

type explicitTopicPartitioner struct{ inner kgo.TopicPartitioner }

func pinned(r *kgo.Record) bool {
	return r.Context != nil && r.Context.Value(manualKey{}) != nil
}

func (p *explicitTopicPartitioner) RequiresConsistency(r *kgo.Record) bool {
	return pinned(r) || p.inner.RequiresConsistency(r)
}

func (p *explicitTopicPartitioner) Partition(r *kgo.Record, n int) int {
	if pinned(r) {
		return int(r.Partition)
	}
	return p.inner.Partition(r, n)
}

// PartitionByBackup is forwarded so the default (a backup partitioner) runs as it
// would unwrapped: kgo calls only this method when it exists.
func (p *explicitTopicPartitioner) PartitionByBackup(r *kgo.Record, n int, it kgo.TopicBackupIter) int {
	if pinned(r) {
		return int(r.Partition)
	}
	if b, ok := p.inner.(kgo.TopicBackupPartitioner); ok {
		return b.PartitionByBackup(r, n, it)
	}
	return p.inner.Partition(r, n)
}

func (p *explicitTopicPartitioner) OnNewBatch() {
	if b, ok := p.inner.(kgo.TopicPartitionerOnNewBatch); ok {
		b.OnNewBatch()
	}
}

func codec(name string) (kgo.CompressionCodec, error) {
	switch name {
	case "", "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("unknown compression %q", name)
}

func runProduce(ctx context.Context, timeout time.Duration, j job) {
	var p produceParams
	if err := json.Unmarshal(j.Params, &p); err != nil {
		result("error", "bad produce params: "+err.Error(), nil)
	}
	acks := -1
	if p.Acks != nil {
		acks = *p.Acks
	}
	idempotent := true
	if p.Idempotent != nil {
		idempotent = *p.Idempotent
	}
	c, err := codec(p.Compression)
	if err != nil {
		result("error", err.Error(), nil)
	}
	opts := append(baseOpts(j.Bootstrap),
		kgo.DefaultProduceTopic(p.Topic),
		kgo.ProducerBatchCompression(c),
	)
	anyPinned := false
	for _, pr := range p.Records {
		anyPinned = anyPinned || pr.Partition != nil
	}
	if anyPinned {
		// kgo's default partitioner is this one (config.go: UniformBytesPartitioner
		// 64 KiB, adaptive, keys hashed by murmur2); wrapped only when a record is pinned.
		opts = append(opts, kgo.RecordPartitioner(explicitPartitioner{inner: kgo.UniformBytesPartitioner(64<<10, true, true, nil)}))
	}
	switch acks {
	case 0:
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
	case 1:
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
	case -1:
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	default:
		result("error", fmt.Sprintf("unknown acks %d", acks), nil)
	}
	if !idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	// idempotent with acks 0/1 is left to kgo to refuse, as Kafka's own client does.
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		result("error", "client config: "+errText(err), nil)
	}
	defer cl.Close()

	results := make([]map[string]any, len(p.Records))
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	pinnedCtx := context.WithValue(ctx, manualKey{}, true)
	for i, pr := range p.Records {
		r := &kgo.Record{Topic: p.Topic, Context: ctx}
		if pr.Key != nil {
			r.Key = []byte(*pr.Key) // non-nil even when "": an empty key still hashes
		}
		if pr.Value != nil {
			r.Value = []byte(*pr.Value)
		}
		for _, h := range pr.Headers {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: h[0], Value: []byte(h[1])})
		}
		if pr.Timestamp != nil {
			r.Timestamp = time.UnixMilli(*pr.Timestamp)
		}
		if pr.Partition != nil {
			r.Partition = *pr.Partition
			r.Context = pinnedCtx
		}
		wg.Add(1)
		cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			res := map[string]any{"partition": r.Partition, "offset": r.Offset}
			if acks == 0 {
				res["offset"] = int64(-1) // acks=0 has no response to learn it from
			}
			if err != nil {
				res["offset"] = int64(-1)
				res["error"] = errText(err)
				if firstErr == nil {
					firstErr = err
				}
			}
			results[i] = res
		})
	}
	flushErr := cl.Flush(ctx)
	all := make(chan struct{})
	go func() { wg.Wait(); close(all) }()
	select {
	case <-all:
	case <-ctx.Done():
	}
	mu.Lock()
	defer mu.Unlock()
	pending := 0
	for i := range results {
		if results[i] == nil {
			results[i] = map[string]any{"partition": int32(-1), "offset": int64(-1), "error": "no delivery report"}
			pending++
		}
	}
	data := map[string]any{"results": results}
	if pending > 0 || ctx.Err() != nil {
		result("error", fmt.Sprintf("timed out after %d ms waiting for delivery reports (%d of %d missing)", timeout.Milliseconds(), pending, len(results)), data)
	}
	if firstErr != nil {
		result("error", errText(firstErr), data)
	}
	if flushErr != nil {
		result("error", "flush: "+errText(flushErr), data)
	}
	result("ok", "", data)
}
