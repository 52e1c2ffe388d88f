import ForwardModel
import SpectralSynthesis
import Yams

/// How a pipeline file meets the defaults: the file's YAML is laid over the YAML of the
/// encoded defaults (`Settings`), so a key the file leaves out takes its default.
enum SettingsTree {
    /// Keys that say which variant a mapping is (`model.observation.noise.model`, `model.dust.law`,
    /// `model.sfh.family`): such a mapping is taken whole from the file, as its fields depend on the variant.
    static let variantKeys: Set<String> = [NoiseModel.variantKey, DustLaw.variantKey, SFHChoice.variantKey]

    /// A variant key with a name as its value (`model: log_gaussian`, not the `model:` section).
    static func isVariantTag(_ pair: Node.Mapping.Element) -> Bool {
        pair.key.string.map(variantKeys.contains) == true && pair.value.scalar != nil
    }

    /// `given` over `defaults`: mappings merge key by key (the file's keys first, in its order,
    /// with their line marks); sequences, scalars and variant mappings of the file replace the
    /// default whole.
    static func lay(_ given: Node, over defaults: Node) -> Node {
        guard case let .mapping(file) = given, case let .mapping(base) = defaults,
              !base.contains(where: { isVariantTag($0) }) else { return given }
        // Keys compare by their text (a node's equality includes its position in the file).
        func value(of key: Node, in mapping: Node.Mapping) -> Node? {
            mapping.first { $0.key.string != nil && $0.key.string == key.string }?.value
        }
        var pairs = file.map { pair -> (Node, Node) in
            (pair.key, value(of: pair.key, in: base).map { lay(pair.value, over: $0) } ?? pair.value)
        }
        pairs += base.filter { value(of: $0.key, in: file) == nil }.map { ($0.key, $0.value) }
        return .mapping(Node.Mapping(pairs, file.tag, file.style, file.mark))
    }
}
