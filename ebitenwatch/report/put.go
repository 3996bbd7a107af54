package report

import (
	"errors"
	"os"
	"slices"
)

// spoolReport applies the per-fingerprint limit (when limit is set), fills
// the counts the event carries, fits the report within MaxSpoolBytes, and
// writes it under name. With hold, the new file is returned open and
// locked, so that no one sends it before the caller closes it; otherwise
// the file is nil, as it is when the report was only counted (suppressed,
// or too large). The error is the spool's when the write failed. The
// caller wakes the delivery goroutine once the spool is consistent
// (d.kick). Called with r.mu held.
func (r *writer) spoolReport(rec *record, name string, limit, hold bool) (*os.File, error) {
	key := rec.key()
	if limit {
		if r.perKey[key]++; r.perKey[key] > r.o.MaxPerFingerprint {
			r.spool.addCount(suppressedFile, key, 1)
			r.updateStats(func(s *Stats) { s.Suppressed++ })
			return nil, nil
		}
	}
	st := r.snapshot()
	rec.Counts = counts{
		SuppressedBefore:  r.spool.getCount(suppressedFile, key),
		SessionReports:    st.Spooled + 1,
		SessionSuppressed: st.Suppressed,
		SessionDropped:    st.Dropped,
	}
	data, err := r.fit(rec)
	if err != nil {
		r.o.Logger.Warn("report dropped", "title", rec.title(), "why", err)
		r.dropped(1)
		return nil, nil
	}
	r.dropped(r.spool.makeRoom(int64(len(data))))
	f, err := r.spool.write(name, data, hold)
	if err != nil {
		r.problem("spooling a report", err)
		return nil, err
	}
	r.spool.addCount(suppressedFile, key, -rec.Counts.SuppressedBefore)
	r.sess.noted(rec)
	r.updateStats(func(s *Stats) {
		s.Spooled++
		s.LastTitle = rec.title()
	})
	r.print(rec, r.spool.path(name))
	return f, nil
}

// fit encodes rec, leaving out its largest attachments (the trace, then the
// dump) while it is larger than MaxSpoolBytes.
func (r *writer) fit(rec *record) ([]byte, error) {
	atts := rec.Attachments
	defer func() { rec.Attachments = atts }()
	rec.Attachments = nil
	bare, err := encodeRecord(rec)
	if err != nil {
		return nil, err
	}
	kept := slices.Clone(atts)
	size := int64(len(bare))
	for _, a := range kept {
		size += encodedSize(a)
	}
	for size > r.o.MaxSpoolBytes && len(kept) > 0 {
		big := 0
		for i, a := range kept {
			if len(a.Data) > len(kept[big].Data) {
				big = i
			}
		}
		r.o.Logger.Warn("report larger than Options.MaxSpoolBytes: attachment left out", "title", rec.title(), "attachment", kept[big].Filename)
		rec.Counts.AttachmentDropped = kept[big].Filename
		size -= encodedSize(kept[big])
		kept = slices.Delete(kept, big, big+1)
	}
	if size > r.o.MaxSpoolBytes {
		return nil, errors.New("larger than Options.MaxSpoolBytes without its attachments")
	}
	rec.Attachments = kept
	data, err := encodeRecord(rec)
	atts = kept
	return data, err
}

// encodedSize is an upper bound of an attachment's size in a record: its
// data in base64 and its names.
func encodedSize(a attachment) int64 {
	return int64((len(a.Data)+2)/3*4+len(a.Filename)+len(a.ContentType)) + 64
}
