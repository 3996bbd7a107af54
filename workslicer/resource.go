package workslicer

import "fmt"

// Resource is a per-frame limit on something other than time that chunks
// use, such as bytes uploaded to the GPU, audio samples decoded or mesh
// vertices built. A task that uses one names it in Task.Uses and says with
// Task.Cost what its next chunk takes; Run starts the chunk only if the
// frame has that much left, as it does with time, and lets other tasks run
// meanwhile. The first chunk of a frame to use a Resource always fits, so
// a chunk larger than the limit still runs, alone. EndFrame gives every
// Resource its full limit again.
//
// Make one with Scheduler.NewResource; the zero value is not usable.
type Resource struct {
	s     *Scheduler
	name  string
	limit int64

	// Game goroutine only.
	frame uint64 // Scheduler.frame when used was last counted from 0
	used  int64
}

// NewResource returns a Resource of which chunks of s's tasks may use
// perFrame units per frame. name says what it counts, in errors. Safe from
// any goroutine.
func (s *Scheduler) NewResource(name string, perFrame int64) (*Resource, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: NewResource: Scheduler is nil", ErrInvalid)
	}
	if name == "" {
		return nil, fmt.Errorf("%w: NewResource: name is empty", ErrInvalid)
	}
	if perFrame <= 0 {
		return nil, fmt.Errorf("%w: NewResource %q: perFrame is %d; it must be positive", ErrInvalid, name, perFrame)
	}
	return &Resource{s: s, name: name, limit: perFrame}, nil
}

// Name returns the name given to NewResource.
func (r *Resource) Name() string { return r.name }

// Limit returns how much of r a frame allows.
func (r *Resource) Limit() int64 { return r.limit }

// fits reports whether n more units fit in frame's share of r.
func (r *Resource) fits(n int64, frame uint64) bool {
	if r.frame != frame {
		r.frame, r.used = frame, 0
	}
	return r.used == 0 || n <= r.limit-r.used
}

// use counts n units, which fits admitted, against the current frame.
func (r *Resource) use(n int64) { r.used += n }

// checkUse validates the Uses and Cost fields of a Task or Loader (typ)
// for s; what names the task or load in the error.
func checkUse(s *Scheduler, what, typ string, uses *Resource, hasCost bool) error {
	switch {
	case uses == nil && hasCost:
		return fmt.Errorf("%w: %s: %s.Cost is set but %s.Uses is nil", ErrInvalid, what, typ, typ)
	case uses != nil && !hasCost:
		return fmt.Errorf("%w: %s: %s.Uses is set but %s.Cost is nil", ErrInvalid, what, typ, typ)
	case uses != nil && uses.s != s:
		return fmt.Errorf("%w: %s: %s.Uses (resource %q) belongs to another Scheduler", ErrInvalid, what, typ, uses.name)
	}
	return nil
}
