package workslicer

import "time"

// SetClock makes s read its clock, the time since New, from clock, for the
// policy simulation, which advances a clock by each chunk's cost.
func SetClock(s *Scheduler, clock func() time.Duration) { s.clock = clock }
