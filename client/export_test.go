package client

import "time"

// The tests' downloads that fail to resume give up in milliseconds, not
// seconds.
func init() { resumeWait = time.Millisecond }
