import ProductIO

/// The version string shown by `digs --version`.
let digsVersionString = "DIGS \(digsVersion)"
