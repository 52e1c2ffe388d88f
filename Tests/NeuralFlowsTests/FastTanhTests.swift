import Foundation
import NeuralFlows
import Testing

/// The Float tanh approximation against the libm tanh (Double, correctly rounded to Float).
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
}
