import DigsCore
import Foundation
import ProductIO

/// How an `AutoregressiveFlow` is stored in a `flow_model` product: every weight block by
/// name, the MADE masks, the permutations and the shape's root attributes (both autoregressive
/// families; `FlowModelFile` writes and reads what every family shares).
extension AutoregressiveFlow: TrainedFlow {
    public var trainable: any TrainableFlow { network }

    /// Named views of the flat parameter vector: (dataset name, offset, shape).
    static func blocks(_ a: MAFArchitecture) -> [(String, Int, [Int])] {
        let l = a.layout, d = a.features, h = a.hidden, o = a.outputsPerFeature
        var out: [(String, Int, [Int])] = [
            ("weights/context_weight", l.contextWeights, [a.transforms * h, a.contextFeatures]),
            ("weights/context_bias", l.contextBias, [a.transforms * h]),
        ]
        for k in 0..<a.transforms {
            let b = l.base(k), t = String(format: "weights/transform_%02d/", k)
            out += [
                (t + "input_weight", b + l.inWeights, [h, d]),
                (t + "input_bias", b + l.inBias, [h]),
                (t + "hidden1_weight", b + l.hidden1Weights, [h, h]),
                (t + "hidden1_bias", b + l.hidden1Bias, [h]),
                (t + "hidden2_weight", b + l.hidden2Weights, [h, h]),
                (t + "hidden2_bias", b + l.hidden2Bias, [h]),
                (t + "output_weight", b + l.outWeights, [o * d, h]),
                (t + "output_bias", b + l.outBias, [o * d]),
            ]
        }
        var width = a.context
        for (i, e) in a.embedding.enumerated() {
            let t = String(format: "weights/embedding_%02d_", i)
            out += [(t + "weight", l.embeddingWeights[i], [e, width]), (t + "bias", l.embeddingBias[i], [e])]
            width = e
        }
        return out
    }

    public func writeNetwork(to w: ProductWriter) throws {
        let a = architecture, net = network
        for (name, offset, shape) in Self.blocks(a) {
            let n = shape.reduce(1, *)
            try w.write(name, NDArray(shape: shape, data: Array(net.parameters[offset..<(offset + n)])),
                        axes: shape.count == 2 ? ["out", "in"] : ["out"], units: "", description: "flow weights (network coordinates)")
        }
        let masks = MADEMasks(features: a.features, hidden: a.hidden, multiplier: a.outputsPerFeature)
        try w.write("masks/input", NDArray(shape: [a.hidden, a.features], data: masks.input), axes: ["out", "in"], units: "",
                    description: "MADE mask of the input layer (1 = connection)")
        try w.write("masks/hidden", NDArray(shape: [a.hidden, a.hidden], data: masks.hiddenToHidden), axes: ["out", "in"],
                    units: "", description: "MADE mask of both hidden layers")
        try w.write("masks/output", NDArray(shape: [a.outputsPerFeature * a.features, a.hidden], data: masks.output), axes: ["out", "in"],
                    units: "", description: "MADE mask of the output layer (\(familyType.outputRows))")
        try w.write("permutations", NDArray(shape: [a.transforms, a.features], data: net.permutations.flatMap { $0.map(Int64.init) }),
                    axes: ["transform", "parameter"], units: "", description: "the permutation after each transform")
        for (name, value) in familyType.rootAttributes(a).sorted(by: { $0.key < $1.key }) { try w.file.setAttribute(name, value) }
        try w.file.setAttribute("hidden_features", .int(Int64(a.hidden)))
        try w.file.setAttribute("num_transforms", .int(Int64(a.transforms)))
        if !a.embedding.isEmpty {
            try w.file.setAttribute("embedding_features", .ints(a.embedding.map(Int64.init)))
        }
    }

    /// The flow of a `flow_model` product of an autoregressive family, with its stored (best)
    /// weights: `splineBins` 0 for the MAF's affine transforms. The sizes the root attributes
    /// declare are checked against the stored weights before anything of their size is allocated.
    static func read(_ product: Product, splineBins: Int, splineTailBound: Double) throws -> AutoregressiveFlow {
        let (file, path) = (product.file, product.path)
        func int(_ name: String) throws -> Int { try FlowModelFile.int(file, name, path) }
        let names = try file.attribute("parameter_names")?.stringsValue ?? []
        let context = try product.dataset("transforms/x_mean", rank: 1).shape[0]
        var embedding: [Int] = []
        if let value = try file.attribute("embedding_features") {
            guard let widths = value.intsValue, widths.count <= 16, widths.allSatisfy({ $0 >= 1 && $0 <= 1 << 20 }) else {
                throw DigsError.invalidProduct(path: path, field: "root attribute 'embedding_features'",
                                               problem: "is not a list of at most 16 layer widths of 1 … 2²⁰")
            }
            embedding = widths.map { Int($0) }
        }
        // The sizes the root attributes declare (outside the content digest) must be those of the
        // stored weights, checked before anything of their size is allocated.
        let hidden = try int("hidden_features"), transforms = try int("num_transforms")
        func transformBlock(_ k: Int) -> String { String(format: "weights/transform_%02d/input_weight", k) }
        let storedHidden = try product.dataset(transformBlock(0), dtype: .float32, rank: 2).shape[0]
        guard hidden == storedHidden else {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'hidden_features'",
                                           problem: "is \(hidden); the stored weights have \(storedHidden) hidden units")
        }
        guard transforms >= 1, transforms <= 10_000, file.exists(transformBlock(transforms - 1)), !file.exists(transformBlock(transforms)) else {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'num_transforms'",
                                           problem: "is \(transforms); it must be the number of stored transforms (weights/transform_00 …)")
        }
        guard !names.isEmpty, names.count <= 1000 else {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'parameter_names'", problem: "lists \(names.count) parameters")
        }
        let a = MAFArchitecture(features: names.count, context: context, hidden: hidden,
                                transforms: transforms, embedding: embedding, splineBins: splineBins, splineTailBound: splineTailBound)
        let stored = try blocks(a).map { block -> (String, Int, [Int], HDF5Dataset) in
            let dataset = try product.dataset(block.0, dtype: .float32)
            guard dataset.shape == block.2 else {
                throw DigsError.invalidProduct(path: path, field: "dataset '\(block.0)'", problem: "has shape \(dataset.shape), expected \(block.2)")
            }
            return (block.0, block.1, block.2, dataset)
        }
        var parameters = [Float](repeating: 0, count: a.layout.total)
        for (name, offset, _, dataset) in stored {
            let block: NDArray<Float> = try dataset.read()
            if let bad = block.data.firstIndex(where: { !$0.isFinite }) {
                throw DigsError.invalidProduct(path: path, field: "dataset '\(name)'", problem: "holds \(block.data[bad]) at element \(bad); a flow's weights are finite")
            }
            for (i, v) in block.data.enumerated() { parameters[offset + i] = v }
        }
        let perms: NDArray<Int64> = try product.dataset("permutations", rank: 2).read()
        guard perms.shape == [a.transforms, a.features],
              (0..<a.transforms).allSatisfy({ k in Set(perms.data[(k * a.features)..<((k + 1) * a.features)]) == Set((0..<Int64(a.features))) }) else {
            throw DigsError.invalidProduct(path: path, field: "dataset 'permutations'",
                                           problem: "has shape \(perms.shape); expected [\(a.transforms), \(a.features)] rows, each a permutation of 0…\(a.features - 1)")
        }
        let permutations = (0..<a.transforms).map { k in (0..<a.features).map { Int(perms.data[k * a.features + $0]) } }
        let network = try MAFNetwork<Float>(architecture: a, parameters: parameters, permutations: permutations)
        let (standardization, layout) = try FlowModelFile.readStandardization(product, parameterCount: names.count)
        return try AutoregressiveFlow(network: network, standardization: standardization, parameterNames: names, contextLayout: layout)
    }
}
