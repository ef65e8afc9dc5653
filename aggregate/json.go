package aggregate

import "time"

func timeMS(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }
