package bench

import (
	"encoding/json"
	"fmt"
	"io"
)

// Result is one format's measurement.
type Result struct {
	Users           int64   `json:"users"`
	Format          string  `json:"format"`
	Seconds         float64 `json:"seconds"`
	UsersPerSec     float64 `json:"users_per_sec"`
	OutputBytes     int64   `json:"output_bytes"`
	RawBytes        int64   `json:"raw_bytes"`
	MBPerSec        float64 `json:"mb_per_sec"`
	CompressionRate float64 `json:"compression_ratio"`
	PeakRSSBytes    int64   `json:"peak_rss_bytes"`
	CPUSeconds      float64 `json:"cpu_seconds"` // user+system CPU of the exporting process during the timed run
	ScanSeconds     float64 `json:"scan_seconds"`
	ScanUsers       int64   `json:"scan_users"`         // documents the limit's scan read
	ScanUsersPerSec float64 `json:"scan_users_per_sec"` // the limit's scan on its own: scan_users / scan_seconds
	CompressSeconds float64 `json:"compress_seconds"`
	// NDJSONGzBytes is, for a Parquet export, the size of the gzip'd NDJSON
	// export of the same fields, which the Parquet file should not exceed.
	NDJSONGzBytes int64   `json:"ndjson_gz_bytes,omitempty"`
	RatioToLimit  float64 `json:"ratio_to_limit"`
	PolledSeconds float64 `json:"polled_seconds"` // the latency run's export
	GetJobCalls   int     `json:"get_job_calls"`
	GetJobP50Ms   float64 `json:"get_job_p50_ms"`
	GetJobP99Ms   float64 `json:"get_job_p99_ms"`
}

// derive computes the rates and the ratio to the limit from the measured
// counts and times.
func (r *Result) derive() {
	r.UsersPerSec = float64(r.Users) / r.Seconds
	r.MBPerSec = float64(r.OutputBytes) / 1e6 / r.Seconds
	r.CompressionRate = float64(r.RawBytes) / max(float64(r.OutputBytes), 1)
	r.RatioToLimit = r.Seconds / (r.ScanSeconds + r.CompressSeconds)
	if r.ScanSeconds > 0 {
		r.ScanUsersPerSec = float64(r.ScanUsers) / r.ScanSeconds
	}
}

// Write prints r on one line, as text or as a JSON object.
func (r *Result) Write(w io.Writer, asJSON bool) {
	if asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintln(w, string(b))
		return
	}
	fmt.Fprintf(w, "%-4s users=%d seconds=%.2f users/s=%.0f MB/s=%.1f output=%d ratio=%.2f peak_rss=%.1fMB cpu=%.2fs scan=%.2fs scan_users/s=%.0f compress=%.2fs ratio_to_limit=%.2f; polled every 10ms: seconds=%.2f get_job_p50=%.1fms p99=%.1fms (%d calls)\n",
		r.Format, r.Users, r.Seconds, r.UsersPerSec, r.MBPerSec, r.OutputBytes, r.CompressionRate,
		float64(r.PeakRSSBytes)/1e6, r.CPUSeconds, r.ScanSeconds, r.ScanUsersPerSec, r.CompressSeconds, r.RatioToLimit, r.PolledSeconds, r.GetJobP50Ms, r.GetJobP99Ms, r.GetJobCalls)
	if r.NDJSONGzBytes > 0 {
		fmt.Fprintf(w, "%-4s output=%d ndjson_gz=%d (the same fields as gzip'd NDJSON): %.2fx its size\n",
			r.Format, r.OutputBytes, r.NDJSONGzBytes, float64(r.OutputBytes)/float64(r.NDJSONGzBytes))
	}
}
