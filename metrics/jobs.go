package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/userport/userport"
)

// Jobs counts what the job workers of this process finish; it implements
// jobs.Metrics.
type Jobs struct {
	duration      *prometheus.HistogramVec
	exportRows    prometheus.Counter
	exportBytes   prometheus.Counter
	importUsers   *prometheus.CounterVec
	importedBytes prometheus.Counter
}

// NewJobs registers the job metrics in reg.
func NewJobs(reg prometheus.Registerer) *Jobs {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help})
	}
	j := &Jobs{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Subsystem: "job",
			Name: "duration_seconds", Help: "Time from a job's start to its end, by type and final status, in the process that ended it.",
			Buckets: prometheus.ExponentialBuckets(0.1, 4, 11)}, // 0.1 s to about 29 h
			[]string{"type", "status"}),
		exportRows:    counter("export_rows_total", "Users written by completed exports."),
		exportBytes:   counter("export_bytes_total", "Bytes (gzip'd) of the files of completed exports."),
		importedBytes: counter("import_bytes_total", "Bytes of import files read by ended imports."),
		importUsers: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "import_users_total",
			Help: "Users of ended imports by outcome: inserted, updated or failed."}, []string{"outcome"}),
	}
	reg.MustRegister(j.duration, j.exportRows, j.exportBytes, j.importUsers, j.importedBytes)
	for _, typ := range jobTypes { // every series exists from the start
		for _, st := range []userport.JobStatus{userport.JobCompleted, userport.JobFailed} {
			j.duration.WithLabelValues(string(typ), string(st))
		}
	}
	for _, o := range []string{"inserted", "updated", "failed"} {
		j.importUsers.WithLabelValues(o)
	}
	return j
}

// JobFinished records a job that ended with status after d.
func (j *Jobs) JobFinished(typ userport.JobType, status userport.JobStatus, d time.Duration) {
	j.duration.WithLabelValues(string(typ), string(status)).Observe(d.Seconds())
}

// Exported records a completed export.
func (j *Jobs) Exported(rows, bytes int64) {
	j.exportRows.Add(float64(rows))
	j.exportBytes.Add(float64(bytes))
}

// Imported records an ended import.
func (j *Jobs) Imported(s userport.ImportSummary, bytes int64) {
	j.importUsers.WithLabelValues("inserted").Add(float64(s.Inserted))
	j.importUsers.WithLabelValues("updated").Add(float64(s.Updated))
	j.importUsers.WithLabelValues("failed").Add(float64(s.Failed))
	j.importedBytes.Add(float64(bytes))
}

// jobTypes and jobStatuses are the label values of the job metrics.
var (
	jobTypes    = []userport.JobType{userport.JobUsersExport, userport.JobUsersImport}
	jobStatuses = []userport.JobStatus{userport.JobPending, userport.JobProcessing, userport.JobCompleted,
		userport.JobFailed, userport.JobExpired}
)
