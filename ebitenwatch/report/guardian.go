package report

// Options returns the options the Reporter runs with: those given to New,
// with DSN, Release, Environment, App and SpoolDir as resolved from the
// environment, the client and the build, and every zero limit replaced by
// its default. A guardian's courier is given them. Safe from any goroutine.
func (r *Reporter) Options() Options {
	o := r.o.Options
	o.DSN, o.Release, o.Environment = r.o.dsn, r.o.release, r.o.environment
	return o
}
