import DigsCore
import Foundation
import Yams

/// Checks of a pipeline file's text beyond what decoding checks: duplicated and unknown keys,
/// and the line of a key path for messages.
///
/// Unknown keys are found without a second list of valid keys: every key the file sets must
/// appear, at the same place, in the JSON encoding of the settings it decoded to (which
/// holds every setting, defaults included). A misspelt key is therefore one that decoding
/// would otherwise have silently ignored.
struct PipelineFileChecks {
    let root: Node?

    init(text: String) throws {
        root = try Yams.compose(yaml: text)
        if let root, Self.nodeCount(root, limit: Self.maximumNodes) >= Self.maximumNodes {
            throw DigsError.invalidInput(field: "YAML aliases",
                                         problem: "expand the file to more than \(Self.maximumNodes) nodes (aliases of aliases); a pipeline file has a few hundred")
        }
    }

    /// More YAML nodes than a pipeline file can sensibly hold, aliases expanded: a file of nested
    /// aliases (a "billion laughs") is refused before anything walks it.
    static let maximumNodes = 100_000

    /// The nodes of a tree with aliases expanded, counted up to `limit` (and no further).
    static func nodeCount(_ node: Node, limit: Int) -> Int {
        var count = 0
        func walk(_ node: Node) {
            guard count < limit else { return }
            count += 1
            switch node {
            case let .mapping(mapping): for (key, value) in mapping { walk(key); walk(value) }
            case let .sequence(sequence): for element in sequence { walk(element) }
            default: break
            }
        }
        walk(node)
        return count
    }

    /// A key set twice in one mapping.
    func duplicateKey() -> (path: String, line: Int?)? {
        func walk(_ node: Node, _ path: [String]) -> (String, Int?)? {
            switch node {
            case let .mapping(mapping):
                var seen = Set<String>()
                for (key, value) in mapping {
                    let name = key.string ?? "\(key)"
                    if !seen.insert(name).inserted { return (Self.join(path + [name]), key.mark.map { $0.line }) }
                    if let found = walk(value, path + [name]) { return found }
                }
            case let .sequence(sequence):
                for (i, element) in sequence.enumerated() {
                    if let found = walk(element, path + ["[\(i)]"]) { return found }
                }
            default: break
            }
            return nil
        }
        return root.flatMap { walk($0, []) }
    }

    /// The first key of the file that the resolved settings (`resolved`, their JSON encoding)
    /// do not have, with its line and the nearest valid key at that place.
    func unknownKey(resolved: Any) -> (path: String, line: Int?, suggestion: String?)? {
        func walk(_ node: Node, _ resolved: Any, _ path: [String]) -> (String, Int?, String?)? {
            switch node {
            case let .mapping(mapping):
                guard let known = resolved as? [String: Any] else { return nil }
                for (key, value) in mapping {
                    let name = key.string ?? "\(key)"
                    guard let inner = known[name] else {
                        return (Self.join(path + [name]), key.mark.map { $0.line }, Spelling.nearest(name, in: Array(known.keys)))
                    }
                    if let found = walk(value, inner, path + [name]) { return found }
                }
            case let .sequence(sequence):
                guard let known = resolved as? [Any], known.count == sequence.count else { return nil }
                for (i, element) in sequence.enumerated() {
                    if let found = walk(element, known[i], path + ["[\(i)]"]) { return found }
                }
            default: break
            }
            return nil
        }
        return root.flatMap { walk($0, resolved, []) }
    }

    /// The line of the key (or list element) whose path ends with `field`
    /// ("train.batch_size", "instrument.pixels", "model.parameters[0]"), when the file sets it.
    func line(of field: String) -> Int? {
        let wanted = Self.components(field)
        guard !wanted.isEmpty else { return nil }
        func walk(_ node: Node, _ path: [String]) -> Int? {
            switch node {
            case let .mapping(mapping):
                for (key, value) in mapping {
                    let keyPath = path + [key.string ?? ""]
                    if keyPath.suffix(wanted.count) == wanted[...] { return key.mark?.line }
                    if let l = walk(value, keyPath) { return l }
                }
            case let .sequence(sequence):
                for (i, element) in sequence.enumerated() {
                    let elementPath = path + ["[\(i)]"]
                    if elementPath.suffix(wanted.count) == wanted[...] { return element.mark?.line }
                    if let l = walk(element, elementPath) { return l }
                }
            default: break
            }
            return nil
        }
        return root.flatMap { walk($0, []) }
    }

    /// The line of the key at exactly this path from the root ("augment.noise"), when the file
    /// sets it (0 when its line is unknown).
    func line(ofExactly field: String) -> Int? {
        var node = root
        var mark: Int? = nil
        for name in Self.components(field) {
            guard case let .mapping(mapping)? = node,
                  let pair = mapping.first(where: { $0.key.string == name }) else { return nil }
            (node, mark) = (pair.value, pair.key.mark?.line ?? 0)
        }
        return mark
    }

    /// "a.b[2].c" → ["a", "b", "[2]", "c"].
    static func components(_ field: String) -> [String] {
        field.split(separator: ".").flatMap { part -> [String] in
            let pieces = part.split(separator: "[", omittingEmptySubsequences: false)
            return [String(pieces[0])].filter { !$0.isEmpty } + pieces.dropFirst().map { "[" + $0 }
        }
    }

    static func join(_ path: [String]) -> String {
        path.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }
}
