package darwin

// The IOAccelerator registry entries are not open to iOS apps.
func copyIOAccelerators() ([]ioAccelerator, error) { return nil, errNoIOAccelerator }
