import DigsCore

/// Collects, galaxy by galaxy (memory flat in the number of galaxies apart from a few numbers
/// each), what calibration needs, and computes the SBC, coverage, TARP and accuracy figures.
///
/// Per galaxy with truth θ*, samples θ_s (s = 1…S) and flow densities q:
/// - SBC rank per parameter (`SBCRanks`);
/// - marginal coverage: θ*_j inside the central interval [Q((1−α)/2), Q((1+α)/2)] of the samples;
/// - joint (HPD) coverage: h = #(q(θ_s) > q(θ*))/S; θ* lies inside the α highest-density
///   region iff h < α;
/// - TARP (Lemos et al. 2023): a reference point θ_r uniform in the prior box, distances in
///   box-normalised coordinates, f = #(|θ_s − θ_r| < |θ* − θ_r|)/S; ECP(α) = mean(f < α);
/// - accuracy of the medians: bias, RMSE, Pearson r and χ = (median − θ*)/σ, σ = (P84 − P16)/2.
public struct CalibrationAccumulator {
    public let names: [String]
    public let low: [Double], high: [Double]
    /// Nominal credibility levels of the coverage curves.
    public let levels: [Double]
    /// Points of the TARP curve.
    public let tarpAlpha: [Double]
    public private(set) var samplesPerGalaxy: Int?
    /// What each galaxy contributes; results are computed from these alone, so records of
    /// several shards can be joined (`init(…records:samplesPerGalaxy:)`).
    public private(set) var records: [Record] = []

    /// One galaxy's contribution.
    public struct Record: Sendable, Equatable {
        public var rank: [Int]
        /// [level × parameter]: 1 when the truth lies in the central interval.
        public var covered: [UInt8]
        /// Fraction of samples with a higher density than the truth.
        public var hpdFraction: Double
        /// Fraction of samples closer to the TARP reference point than the truth.
        public var tarpFraction: Double
        public var median: [Double], sigma: [Double], truth: [Double]
        /// log q(θ_true | x) of the estimator (NaN when not recorded).
        public var truthLogProb: Double

        public init(rank: [Int], covered: [UInt8], hpdFraction: Double, tarpFraction: Double, median: [Double],
                    sigma: [Double], truth: [Double], truthLogProb: Double) {
            self.truthLogProb = truthLogProb
            self.rank = rank
            self.covered = covered
            self.hpdFraction = hpdFraction
            self.tarpFraction = tarpFraction
            self.median = median
            self.sigma = sigma
            self.truth = truth
        }
    }


    public static let defaultLevels = (1...19).map { Double($0) * 0.05 }

    public init(names: [String], low: [Double], high: [Double], levels: [Double] = defaultLevels, tarpPoints: Int = 51) {
        self.names = names
        self.low = low
        self.high = high
        self.levels = levels
        self.tarpAlpha = (0..<tarpPoints).map { Double($0) / Double(tarpPoints - 1) }
    }

    /// From galaxies' records computed earlier (e.g. by the shards of a run).
    public init(names: [String], low: [Double], high: [Double], records: [Record], samplesPerGalaxy: Int,
                levels: [Double] = defaultLevels, tarpPoints: Int = 51) {
        self.init(names: names, low: low, high: high, levels: levels, tarpPoints: tarpPoints)
        self.records = records
        self.samplesPerGalaxy = samplesPerGalaxy
    }

    public var galaxies: Int { records.count }

    /// Adds one galaxy: `samples` [S × D] row-major with log-densities `logProb` [S], the truth
    /// and its log-density under the same estimator. `generator` breaks rank ties and draws
    /// the TARP reference point.
    public mutating func add(samples: [Double], logProb: [Double], truth: [Double], truthLogProb: Double,
                             generator g: inout Xoshiro256StarStar) throws {
        let d = names.count, s = logProb.count
        guard s > 0, samples.count == s * d, truth.count == d else {
            throw DigsError.invalidInput(field: "calibration", problem: "\(samples.count) sample values, \(s) densities and \(truth.count) true values do not fit \(d) parameters")
        }
        if let expected = samplesPerGalaxy, expected != s {
            throw DigsError.invalidInput(field: "calibration", problem: "galaxy \(galaxies) has \(s) samples, earlier ones \(expected)")
        }
        samplesPerGalaxy = s
        var rank = [Int](), median = [Double](), sigma = [Double]()
        var covered = [UInt8](repeating: 0, count: levels.count * d)
        var column = [Double](repeating: 0, count: s)
        for j in 0..<d {
            for i in 0..<s { column[i] = samples[i * d + j] }
            rank.append(SBCRanks.rank(truth: truth[j], samples: column, generator: &g))
            column.sort()
            median.append(SampleSummary.percentile(sorted: column, 50))
            sigma.append((SampleSummary.percentile(sorted: column, 84) - SampleSummary.percentile(sorted: column, 16)) / 2)
            for (l, alpha) in levels.enumerated() {
                let lo = SampleSummary.percentile(sorted: column, 50 * (1 - alpha))
                let hi = SampleSummary.percentile(sorted: column, 50 * (1 + alpha))
                if truth[j] >= lo && truth[j] <= hi { covered[l * d + j] = 1 }
            }
        }
        let hpd = Double(logProb.filter { $0 > truthLogProb }.count) / Double(s)
        let reference = (0..<d).map { _ in g.nextUniform() }
        func distance(_ row: ArraySlice<Double>) -> Double {
            var sum = 0.0
            for (j, v) in row.enumerated() {
                let t = (v - low[j]) / (high[j] - low[j]) - reference[j]
                sum += t * t
            }
            return sum
        }
        let dTrue = distance(truth[...])
        let tarp = Double((0..<s).filter { distance(samples[($0 * d)..<(($0 + 1) * d)]) < dTrue }.count) / Double(s)
        records.append(Record(rank: rank, covered: covered, hpdFraction: hpd, tarpFraction: tarp, median: median,
                              sigma: sigma, truth: truth, truthLogProb: truthLogProb))
    }

    /// Per-parameter accuracy of the posterior medians.
    public struct Accuracy: Sendable {
        public var bias: Double, rmse: Double, pearsonR: Double
        /// Mean and standard deviation of χ = (median − truth)/σ (calibrated Gaussian: 0 and 1).
        public var chiMean: Double, chiStd: Double
    }

    /// All figures, computed from what was added.
    public struct Result: Sendable {
        public var ksStatistic: [Double], ksPValue: [Double]
        public var chi2Statistic: [Double], chi2PValue: [Double], chi2Bins: Int
        /// [level][parameter]
        public var coverageMarginal: [[Double]]
        public var coverageJoint: [Double]
        public var tarpECP: [Double]
        public var accuracy: [Accuracy]
        /// Largest |coverage − level| per parameter, and for the joint coverage.
        public var maxCoverageError: [Double], maxJointCoverageError: Double
        public var maxTarpError: Double
        /// NLTP: the mean over galaxies of −log q(θ_true | x), nats (lower is better; NaN when
        /// any galaxy's value was not recorded). A sharper and still calibrated estimator has a
        /// lower NLTP: calibration alone does not see width, this does.
        public var nltp: Double
    }

    public func result() throws -> Result {
        guard let s = samplesPerGalaxy, galaxies > 0 else {
            throw DigsError.invalidInput(field: "calibration", problem: "no galaxies with a known truth were added")
        }
        let d = names.count, n = Double(galaxies)
        let bins = UniformityTests.defaultBins(galaxies: galaxies, samples: s)
        var ks = [(Double, Double)](), chi = [(Double, Int, Double)]()
        for j in 0..<d {
            let r = records.map { $0.rank[j] }
            ks.append(UniformityTests.kolmogorovSmirnov(ranks: r, samples: s))
            chi.append(UniformityTests.chiSquare(ranks: r, samples: s, bins: bins))
        }
        let marginal = levels.indices.map { l in
            (0..<d).map { j in Double(records.reduce(0) { $0 + Int($1.covered[l * d + j]) }) / n }
        }
        let joint = levels.map { alpha in Double(records.filter { $0.hpdFraction < alpha }.count) / n }
        let tarp = tarpAlpha.map { alpha in Double(records.filter { $0.tarpFraction < alpha }.count) / n }
        var accuracy = [Accuracy]()
        for j in 0..<d {
            let m = records.map { $0.median[j] }, t = records.map { $0.truth[j] }
            let diff = zip(m, t).map { $0 - $1 }
            let chis = zip(diff, records.map { $0.sigma[j] }).map { $0 / $1 }
            let chiMean = chis.reduce(0, +) / n
            accuracy.append(Accuracy(bias: diff.reduce(0, +) / n,
                                     rmse: (diff.reduce(0) { $0 + $1 * $1 } / n).squareRoot(),
                                     pearsonR: Self.pearson(m, t), chiMean: chiMean,
                                     chiStd: (chis.reduce(0) { $0 + ($1 - chiMean) * ($1 - chiMean) } / n).squareRoot()))
        }
        let maxErr = (0..<d).map { j in zip(levels, marginal).map { abs($1[j] - $0) }.max() ?? 0 }
        return Result(ksStatistic: ks.map(\.0), ksPValue: ks.map(\.1), chi2Statistic: chi.map(\.0),
                      chi2PValue: chi.map(\.2), chi2Bins: bins, coverageMarginal: marginal, coverageJoint: joint,
                      tarpECP: tarp, accuracy: accuracy, maxCoverageError: maxErr,
                      maxJointCoverageError: zip(levels, joint).map { abs($1 - $0) }.max() ?? 0,
                      maxTarpError: zip(tarpAlpha, tarp).map { abs($1 - $0) }.max() ?? 0,
                      nltp: -records.reduce(0) { $0 + $1.truthLogProb } / n)
    }

    static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count), ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) {
            sab += (x - ma) * (y - mb)
            saa += (x - ma) * (x - ma)
            sbb += (y - mb) * (y - mb)
        }
        return sab / (saa * sbb).squareRoot()
    }
}
