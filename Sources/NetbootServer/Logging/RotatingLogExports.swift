// The seed's log rotation lives in `RotatingLog` (shared with netboot-runner); the appliance's
// logging and its users see it through this target.
@_exported import RotatingLog
