import Foundation
import NeuralFlows
import Testing

/// The Float tanh and softplus approximations against libm in Double, rounded to Float.
struct FastTanhTests {
    @Test func floatTanhIsAccurateEverywhere() {
        var worst: Float = 0
        var x: Float = -20
        while x <= 20 {
            let exact = Float(Foundation.tanh(Double(x)))
            let approx = Float.tanh(x)
            worst = max(worst, abs(approx - exact) / max(abs(exact).ulp, Float.leastNormalMagnitude))
            x += 0.000731
        }
        #expect(worst <= 6, "worst error \(worst) ulp")
        #expect(Float.tanh(0) == 0 && Float.tanh(1e-30) == 1e-30)
        #expect(Float.tanh(100) == 1 && Float.tanh(-100) == -1)
    }

    @Test func floatSoftplusIsAccurateEverywhere() {
        var worst: Float = 0
        var x: Float = -100
        while x <= 100 {
            let exact = Float(x > 0 ? Double(x) + Foundation.log1p(Foundation.exp(-Double(x))) : Foundation.log1p(Foundation.exp(Double(x))))
            let approx = Float.fastSoftplus(x)
            if x > -87.3 { worst = max(worst, abs(approx - exact) / exact.ulp) }
            x += 0.00173
        }
        #expect(worst <= 4, "worst error \(worst) ulp")
        #expect(abs(Float.fastSoftplus(0) - Float(Foundation.log(2.0))) <= Float(Foundation.log(2.0)).ulp)
        #expect(Float.fastSoftplus(200) == 200 && Float.fastSoftplus(-200) == 0)
    }
}
