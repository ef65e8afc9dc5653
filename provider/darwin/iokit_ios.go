package darwin

// The IOKit power-source API is not available to iOS apps; the host app
// pushes the battery level (UIDevice.batteryLevel) instead.
func copyPowerSources() ([]powerSource, error) { return nil, errNoIOKit }
