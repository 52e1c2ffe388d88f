/// The one pattern of DIGS's settings types (a section of the pipeline file).
///
/// - Every field's default is its property initialiser, so `init()` is the defaults. A pipeline
///   file that leaves a key out gets that default: `PipelineConfig.load` lays the file over the
///   encoded defaults before decoding, so the types keep the synthesised `Codable` and no type
///   decodes its defaults by hand.
/// - `validate()` checks every range and names the pipeline-file key (`train.batch_size`); it
///   sits beside the fields, and both the pipeline check and the stage call it.
///
/// Settings with variants (`NoiseModel`, `DustLaw`: an enum whose fields depend on its kind) are
/// given whole in a pipeline file and decode their own variant's defaults.
public protocol Settings: Codable, Equatable, Sendable {
    init()
    func validate() throws
}

/// A setting that takes one of a few names (`mcmc.init: npe`): decoding any other name says
/// which it got and which it expects.
public protocol SettingChoice: CaseIterable, Codable, RawRepresentable where RawValue == String {}

extension SettingChoice {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "is '\(text)'; expected one of \(Self.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = value
    }
}
