// Source locations, diagnostics and did-you-mean live in `Diagnostics` (no Yams) so that the
// task-sequence core can use them; every reader of located YAML sees them through this target.
@_exported import Diagnostics
