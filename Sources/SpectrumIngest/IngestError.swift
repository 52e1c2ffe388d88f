import DigsCore

/// Problems of settings given to the ingest (file problems are `DigsError`s naming the file).
public enum IngestError: Error, CustomStringConvertible {
    case invalidSetting(String)

    public var description: String {
        switch self {
        case let .invalidSetting(text): return text
        }
    }
}
