import DigsCore
import Foundation
import MCMC
import Testing

/// Per-parameter mean and standard deviation of a stored chain [T × W × D].
private func moments(_ chain: [Float], dimensions d: Int) -> (mean: [Double], sd: [Double]) {
    let n = chain.count / d
    let mean = (0..<d).map { j in stride(from: j, to: chain.count, by: d).reduce(0) { $0 + Double(chain[$1]) } / Double(n) }
    let sd = (0..<d).map { j in
        (stride(from: j, to: chain.count, by: d).reduce(0) { $0 + pow(Double(chain[$1]) - mean[j], 2) } / Double(n)).squareRoot()
    }
    return (mean, sd)
}

@Suite("Reference MCMC schedule: converges to closed-form posteriors")
struct ReferenceScheduleTests {
    static let schedule = ReferenceSchedule(walkers: 32, burnIn: [500, 500, 500], production: 4000, thin: 4)

    @Test("on a correlated 5-D Gaussian the means and covariances match the closed form, and the chain is converged")
    func gaussian() throws {
        let x = [1.0, -0.5, 2.0, 0.3, -1.2, 0.8, 0.0, 1.5]
        let box = EnsembleSamplerTests.box
        var g = Xoshiro256StarStar(seed: 21)
        let initial = (0..<(32 * 5)).map { _ in -box + 2 * box * g.nextUniform() }  // anywhere in the prior box
        let r = try Self.schedule.run(initial: initial, low: [Double](repeating: -box, count: 5), high: [Double](repeating: box, count: 5),
                                      logProb: EnsembleSamplerTests.logPosterior(x), generator: &g)
        let truth = EnsembleSamplerTests.closedForm(x)
        let (mean, _) = moments(r.chain, dimensions: 5)
        let n = Double(r.chain.count / 5)
        for j in 0..<5 {
            let sd = truth.cov[j][j].squareRoot()
            // Monte-Carlo error of a mean with the measured τ (in stored steps: τ / thin).
            let error = sd * (max(1, r.autocorrelationTime[j] / 4) / n).squareRoot()
            #expect(abs(mean[j] - truth.mean[j]) < 5 * error, "mean \(j): \(mean[j]) vs \(truth.mean[j])")
            for k in 0..<5 {
                let c = stride(from: 0, to: r.chain.count, by: 5).reduce(0.0) {
                    $0 + (Double(r.chain[$1 + j]) - mean[j]) * (Double(r.chain[$1 + k]) - mean[k])
                } / n
                #expect(abs(c - truth.cov[j][k]) < 0.05 * (truth.cov[j][j] * truth.cov[k][k]).squareRoot(), "cov \(j),\(k)")
            }
        }
        #expect(r.convergence(steps: Self.schedule.production).isConverged, "\(r.convergence(steps: Self.schedule.production).problem ?? "")")
        #expect(r.chain.count == 1000 * 32 * 5 && r.logProb.count == 1000 * 32 && r.burnInTrace.count == 1500)
    }

    /// p(θ) ∝ 1/θ on [0.1, 10] times a Gaussian likelihood N(θ; 1, 0.5²): the posterior's mean and
    /// standard deviation by quadrature. The likelihood alone in the box has moments far enough
    /// away that a sampler ignoring the prior's density fails the test.
    @Test("with a log-uniform prior it samples prior × likelihood (moments by quadrature)")
    func logUniformPrior() throws {
        let (low, high) = (0.1, 10.0)
        func logLikelihood(_ t: Double) -> Double { -0.5 * pow((t - 1) / 0.5, 2) }
        func quadrature(_ f: (Double) -> Double) -> (mean: Double, sd: Double) {
            let n = 200_000, h = (high - low) / Double(n)
            var (z, m1, m2) = (0.0, 0.0, 0.0)
            for i in 0...n {
                let t = low + Double(i) * h, w = (i == 0 || i == n ? 0.5 : 1) * f(t)
                (z, m1, m2) = (z + w, m1 + w * t, m2 + w * t * t)
            }
            return (m1 / z, (m2 / z - pow(m1 / z, 2)).squareRoot())
        }
        let withPrior = quadrature { exp(logLikelihood($0)) / $0 }
        let withoutPrior = quadrature { exp(logLikelihood($0)) }
        let logProb: EnsembleSampler.LogProbability = { p, n in
            (0..<n).map { p[$0] >= low && p[$0] <= high ? -log(p[$0]) - log(log(high / low)) + logLikelihood(p[$0]) : -.infinity }
        }
        var g = Xoshiro256StarStar(seed: 4)
        let schedule = ReferenceSchedule(walkers: 16, burnIn: [500, 500], production: 8000, thin: 2)
        let r = try schedule.run(initial: (0..<16).map { _ in low + (high - low) * g.nextUniform() }, low: [low], high: [high],
                                 logProb: logProb, generator: &g)
        let (mean, sd) = moments(r.chain, dimensions: 1)
        let tolerance = 0.01 * withPrior.sd * 3
        #expect(abs(withoutPrior.mean - withPrior.mean) > 10 * tolerance)  // the test can tell them apart
        #expect(abs(mean[0] - withPrior.mean) < tolerance, "mean \(mean[0]) vs \(withPrior.mean)")
        #expect(abs(sd[0] / withPrior.sd - 1) < 0.02, "sd \(sd[0]) vs \(withPrior.sd)")
        #expect(r.convergence(steps: schedule.production).isConverged)
    }

    /// Two Gaussians of weights 0.3 and 0.7, 20 σ apart, in the box [−6, 6]².
    static func bimodal(_ p: [Double], _ n: Int) -> [Double] {
        let sd = 0.3, centre = 3.0
        return (0..<n).map { r in
            let (a, b) = (p[2 * r], p[2 * r + 1])
            guard abs(a) <= 6, abs(b) <= 6 else { return -.infinity }
            let left = log(0.3) - 0.5 * (pow((a + centre) / sd, 2) + pow(b / sd, 2))
            let right = log(0.7) - 0.5 * (pow((a - centre) / sd, 2) + pow(b / sd, 2))
            return max(left, right) + log(exp(left - max(left, right)) + exp(right - max(left, right)))
        }
    }

    /// Without burn-in no proposal is fitted: the first production (stretch and differential
    /// evolution only) leaves walkers in their modes and fails split-R̂; the proposals fitted to
    /// its samples carry walkers between the modes, and the next attempt converges.
    @Test("an unconverged production is discarded, the proposals refitted, and the next attempt converges")
    func attempts() throws {
        var g = Xoshiro256StarStar(seed: 5)
        let initial = (0..<64).map { _ in -6 + 12 * g.nextUniform() }
        let schedule = ReferenceSchedule(walkers: 32, burnIn: [], production: 4000, thin: 4, attempts: 3)
        let r = try schedule.run(initial: initial, low: [-6, -6], high: [6, 6], logProb: Self.bimodal, generator: &g)
        #expect(r.productionAttempts >= 2)
        #expect(r.convergence(steps: schedule.production).isConverged, "\(r.convergence(steps: schedule.production).problem ?? "")")
        let left = Double(stride(from: 0, to: r.chain.count, by: 2).filter { r.chain[$0] < 0 }.count) / Double(r.chain.count / 2)
        #expect(abs(left - 0.3) < 0.03, "fraction in the 0.3 mode: \(left)")
        var h = Xoshiro256StarStar(seed: 6)
        let once = try ReferenceSchedule(walkers: 32, burnIn: [], production: 4000, thin: 4, attempts: 1)
            .run(initial: initial, low: [-6, -6], high: [6, 6], logProb: Self.bimodal, generator: &h)
        #expect(once.productionAttempts == 1 && !once.convergence(steps: 4000).isConverged)
    }

    /// The reference schedule puts 0.3 of its samples in the first mode; restarting around the
    /// best walker (the paper's schedule) keeps one mode and loses the other.
    @Test("a bimodal posterior: the reference keeps both modes at their weights, restarts lose one")
    func bimodal() throws {
        let logProb = Self.bimodal
        var g = Xoshiro256StarStar(seed: 9)
        let initial = (0..<64).map { _ in -6 + 12 * g.nextUniform() }
        let schedule = ReferenceSchedule(walkers: 32, burnIn: [500, 500], production: 4000, thin: 4)
        let r = try schedule.run(initial: initial, low: [-6, -6], high: [6, 6], logProb: logProb, generator: &g)
        let xs = stride(from: 0, to: r.chain.count, by: 2).map { Double(r.chain[$0]) }
        let left = Double(xs.filter { $0 < 0 }.count) / Double(xs.count)
        #expect(abs(left - 0.3) < 0.03, "fraction in the 0.3 mode: \(left)")
        #expect(r.convergence(steps: schedule.production).isConverged, "\(r.convergence(steps: schedule.production).problem ?? "")")
        var h = Xoshiro256StarStar(seed: 9)
        let paper = try RestartSchedule(walkers: 32, burnIn: [500, 500, 500], production: 4000, ballFraction: 1e-3)
            .run(initial: initial, low: [-6, -6], high: [6, 6], logProb: logProb, generator: &h)
        let paperLeft = Double(stride(from: 0, to: paper.chain.count, by: 2).filter { paper.chain[$0] < 0 }.count) / Double(paper.chain.count / 2)
        #expect(paperLeft < 0.05 || paperLeft > 0.95, "restarts kept both modes: \(paperLeft)")
    }

    /// A wide mode of weight 0.2 (σ 0.5 at (−3, 0)) and a narrow one of weight 0.8 (σ 0.002 at
    /// (3, 3)) in [−6, 6]²: the narrow mode's peak is log(4 · 0.5² / 0.002²) = 12.4 nats higher.
    static func hiddenMode(_ p: [Double], _ n: Int) -> [Double] {
        (0..<n).map { r in
            let (a, b) = (p[2 * r], p[2 * r + 1])
            guard abs(a) <= 6, abs(b) <= 6 else { return -.infinity }
            let wide = log(0.2 / (2 * Double.pi * 0.25)) - 0.5 * (pow((a + 3) / 0.5, 2) + pow(b / 0.5, 2))
            let narrow = log(0.8 / (2 * Double.pi * 4e-6)) - 0.5 * (pow((a - 3) / 0.002, 2) + pow((b - 3) / 0.002, 2))
            let top = max(wide, narrow)
            return top + log(exp(wide - top) + exp(narrow - top))
        }
    }

    /// Walkers from the prior all fall into the wide mode and agree with one another (split-R̂
    /// passes); a candidate in the narrow mode (as an NPE sample would be) reveals the miss.
    /// Started half at the screened candidates, the chain holds both modes at their weights.
    @Test("a narrow main mode: a prior start misses it and is flagged; a screened start weighs both modes right")
    func hiddenMainMode() throws {
        var g = Xoshiro256StarStar(seed: 12)
        // Walkers cross between the modes only by independence moves: τ ~ 200 steps.
        let schedule = ReferenceSchedule(walkers: 32, burnIn: [500, 500], production: 20000, thin: 10)
        let priorDraws = (0..<(32 * 2)).map { _ in -6 + 12 * g.nextUniform() }
        var missed = try schedule.run(initial: priorDraws, low: [-6, -6], high: [6, 6], logProb: Self.hiddenMode, generator: &g)
        #expect(stride(from: 0, to: missed.chain.count, by: 2).allSatisfy { missed.chain[$0] < 0 }, "a prior start found the narrow mode")
        #expect(missed.splitRHat.allSatisfy { $0 <= ChainConvergence.maximumRHat })
        let candidate = [3.001, 2.999]
        missed.include(position: candidate, logProb: Self.hiddenMode(candidate, 1)[0])
        let check = missed.convergence(steps: schedule.production)
        #expect(!check.isConverged && check.problem?.contains("misses the posterior's main mode") == true)
        #expect(abs(check.missedLogProbability - 12.4) < 0.3, "missed log p \(check.missedLogProbability)")

        // Candidates: 4096 prior draws and 50 "NPE samples" scattered around the narrow mode.
        var candidates = (0..<(4096 * 2)).map { _ in -6 + 12 * g.nextUniform() }
        for _ in 0..<100 { candidates.append(3 + 0.004 * g.nextNormal()) }
        let start = ScreenedStart(candidates: candidates, logProb: Self.hiddenMode(candidates, candidates.count / 2), walkers: 32,
                                  others: priorDraws, dimensions: 2)
        #expect(stride(from: 0, to: 32, by: 2).allSatisfy { abs(start.positions[$0] - 3) < 0.05 }, "the top half are the narrow mode's candidates")
        #expect(Array(start.positions[32...]) == Array(priorDraws[0..<32]))
        var r = try schedule.run(initial: start.positions, low: [-6, -6], high: [6, 6], logProb: Self.hiddenMode, generator: &g)
        r.include(position: start.best, logProb: start.bestLogProb)
        let narrow = Double(stride(from: 0, to: r.chain.count, by: 2).filter { r.chain[$0] > 0 }.count) / Double(r.chain.count / 2)
        #expect(abs(narrow - 0.8) < 0.03, "fraction in the 0.8 mode: \(narrow)")
        #expect(r.convergence(steps: schedule.production).isConverged, "\(r.convergence(steps: schedule.production).problem ?? "")")
    }

    @Test("differential-evolution moves alone leave a correlated Gaussian invariant")
    func differentialEvolution() throws {
        let x = [0.2, 0.1, -0.4, 1.0, 0.0, -0.3, 0.6, 0.9]
        let sampler = try EnsembleSampler(dimensions: 5, walkers: 32)
        var g = Xoshiro256StarStar(seed: 6)
        let truth = EnsembleSamplerTests.closedForm(x)
        // Start from the exact posterior (a Cholesky draw), so any drift is the move's fault.
        let l = try #require(choleskyFactor(truth.cov))
        let initial = (0..<32).flatMap { _ -> [Double] in
            let z = (0..<5).map { _ in g.nextNormal() }
            return (0..<5).map { i in truth.mean[i] + (0...i).reduce(0) { $0 + l[i][$1] * z[$1] } }
        }
        var state = try sampler.start(initial, logProb: EnsembleSamplerTests.logPosterior(x))
        var sum = [Double](repeating: 0, count: 5), squares = [Double](repeating: 0, count: 5), n = 0.0
        for _ in 0..<6000 {
            sampler.step(&state, move: .differentialEvolution, logProb: EnsembleSamplerTests.logPosterior(x), generator: &g)
            for k in 0..<32 { for j in 0..<5 { sum[j] += state.positions[k * 5 + j]; squares[j] += pow(state.positions[k * 5 + j], 2) } }
            n += 32
        }
        for j in 0..<5 {
            let mean = sum[j] / n, sd = (squares[j] / n - mean * mean).squareRoot(), truthSD = truth.cov[j][j].squareRoot()
            #expect(abs(mean - truth.mean[j]) < 0.1 * truthSD, "mean \(j)")
            #expect(abs(sd / truthSD - 1) < 0.05, "sd \(j)")
        }
        #expect(state.acceptanceFraction > 0.15)
    }

    func choleskyFactor(_ a: [[Double]]) -> [[Double]]? {
        let d = a.count
        var l = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        for i in 0..<d {
            for j in 0...i {
                var s = a[i][j]
                for m in 0..<j { s -= l[i][m] * l[j][m] }
                if i == j { guard s > 0 else { return nil }; l[i][i] = s.squareRoot() } else { l[i][j] = s / l[j][j] }
            }
        }
        return l
    }
}

@Suite("Gaussian mixture and independence proposal")
struct GaussianMixtureTests {
    @Test("EM recovers the weights, means and widths of a known two-component mixture")
    func recoversAKnownMixture() {
        var g = Xoshiro256StarStar(seed: 12)
        var points = [Double]()
        for _ in 0..<6000 {
            if g.nextUniform() < 0.25 {
                points += [-2 + 0.5 * g.nextNormal(), 1 + 0.2 * g.nextNormal()]
            } else {
                points += [1.5 + 0.3 * g.nextNormal(), -1 + 0.8 * g.nextNormal()]
            }
        }
        let m = GaussianMixture.fit(points: points, dimensions: 2, components: 2, generator: &g)
        #expect(m.components == 2)
        let small = m.means[0][0] < m.means[1][0] ? 0 : 1, big = 1 - small
        #expect(abs(m.weights[small] - 0.25) < 0.02)
        #expect(abs(m.means[small][0] + 2) < 0.05 && abs(m.means[small][1] - 1) < 0.02)
        #expect(abs(m.means[big][0] - 1.5) < 0.03 && abs(m.means[big][1] + 1) < 0.05)
        // Cholesky factor of a diagonal covariance: the standard deviations on its diagonal.
        #expect(abs(m.choleskys[small][0] - 0.5) < 0.03 && abs(m.choleskys[big][3] - 0.8) < 0.04)
    }

    @Test("the mixture's density integrates to one, and its draws follow it")
    func densityAndDraws() {
        let m = GaussianMixture(weights: [0.4, 0.6], means: [[0, 0], [2, 1]], covariances: [[1, 0.5, 0.5, 1], [0.25, 0, 0, 0.5]])
        var total = 0.0, h = 0.02
        for i in -400..<600 { for j in -400..<500 { total += exp(m.logDensity([Double(i) * h, Double(j) * h])) * h * h } }
        #expect(abs(total - 1) < 1e-3)
        var g = Xoshiro256StarStar(seed: 3)
        let draws = (0..<100_000).map { _ in m.draw(&g) }
        let mean = (0..<2).map { j in draws.reduce(0) { $0 + $1[j] } / 1e5 }
        #expect(abs(mean[0] - 1.2) < 0.02 && abs(mean[1] - 0.6) < 0.02)  // 0.4·(0, 0) + 0.6·(2, 1)
        let widened = m.widened(by: 2)
        #expect(abs(widened.logDensity([0, 0]) - m.logDensity([0, 0])) > 0.1)
        total = 0
        h = 0.04
        for i in -400..<500 { for j in -400..<450 { total += exp(widened.logDensity([Double(i) * h, Double(j) * h])) * h * h } }
        #expect(abs(total - 1) < 2e-3)
    }

    @Test("adding a component gives (1 − w)·the mixture + w·that Gaussian, in closed form")
    func addingAComponent() {
        let m = GaussianMixture(weights: [0.4, 0.6], means: [[0, 0], [2, 1]], covariances: [[1, 0.5, 0.5, 1], [0.25, 0, 0, 0.5]])
        let added = m.adding(weight: 0.2, mean: [1, -1], covariance: [4, 0, 0, 9])
        for y in [[0.0, 0.0], [1.5, -2.0], [3.0, 1.0]] {
            let gaussian = exp(-((y[0] - 1) * (y[0] - 1) / 4 + (y[1] + 1) * (y[1] + 1) / 9) / 2) / (2 * Double.pi * 6)
            let expected = 0.8 * exp(m.logDensity(y)) + 0.2 * gaussian
            #expect(abs(exp(added.logDensity(y)) / expected - 1) < 1e-12, "at \(y)")
        }
        #expect(added.components == 3 && abs(added.weights.reduce(0, +) - 1) < 1e-15)
    }

    @Test("in parameter coordinates the proposal is a normalised density on ℝ^D, and its draws follow it")
    func proposalInParameters() {
        let box = BoxCoordinates(low: [0, 0], high: [1, 1])
        let q = IndependenceProposal(mixture: GaussianMixture(weights: [1], means: [[0.9, 0.5]], covariances: [[0.04, 0, 0, 0.01]]),
                                     box: box, coordinates: .parameters, uniformWeight: 0.2)
        let h = 0.005
        var total = 0.0, inside = 0.0
        for i in -200..<400 {
            for j in -100..<300 {
                let t = [(Double(i) + 0.5) * h, (Double(j) + 0.5) * h]
                let p = exp(q.logDensity(t)) * h * h
                total += p
                if t[0] <= 1 && t[1] <= 1 && t[0] >= 0 && t[1] >= 0 { inside += p }
            }
        }
        #expect(abs(total - 1) < 2e-3)
        var g = Xoshiro256StarStar(seed: 2)
        let draws = (0..<100_000).map { _ in q.draw(&g) }
        let fraction = Double(draws.filter { $0[0] >= 0 && $0[0] <= 1 && $0[1] >= 0 && $0[1] <= 1 }.count) / 1e5
        #expect(abs(fraction - inside) < 0.005, "inside the box: \(fraction) vs \(inside)")
    }

    @Test("the independence proposal is a normalised density on the box, and its draws follow it")
    func proposalDensity() {
        let box = BoxCoordinates(low: [0, -1], high: [2, 3])
        let q = IndependenceProposal(mixture: GaussianMixture(weights: [1], means: [[0.5, -0.2]], covariances: [[1, 0.3, 0.3, 2]]),
                                     box: box, uniformWeight: 0.1)
        let n = 800
        var total = 0.0, cells = [Double](repeating: 0, count: 16)
        for i in 0..<n {
            for j in 0..<n {
                let t = [2 * (Double(i) + 0.5) / Double(n), -1 + 4 * (Double(j) + 0.5) / Double(n)]
                let p = exp(q.logDensity(t)) * (2.0 / Double(n)) * (4.0 / Double(n))
                total += p
                cells[(i * 4 / n) * 4 + j * 4 / n] += p
            }
        }
        #expect(abs(total - 1) < 2e-3)
        var g = Xoshiro256StarStar(seed: 8)
        var counts = [Double](repeating: 0, count: 16), inside = true
        for _ in 0..<200_000 {
            let t = q.draw(&g)
            inside = inside && t[0] >= 0 && t[0] <= 2 && t[1] >= -1 && t[1] <= 3
            counts[min(3, Int(t[0] * 2)) * 4 + min(3, Int((t[1] + 1)))] += 1 / 200_000
        }
        #expect(inside)
        for c in 0..<16 { #expect(abs(counts[c] - cells[c]) < 0.005, "cell \(c): \(counts[c]) vs \(cells[c])") }
    }
}
