// The VideoData module. See the README for how the modules fit together.
