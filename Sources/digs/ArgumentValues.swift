import ArgumentParser
import MCMC
import PipelineRunner
import SpectrumIngest

// The modes the commands take, as their enums: the parser lists the valid values in `--help`
// and in its error for any other value.
extension MCMCInitialization: ExpressibleByArgument {}
extension MCMCScheduleKind: ExpressibleByArgument {}
extension SpectrumFormat: ExpressibleByArgument {}
extension ObservedSpectrum.Medium: ExpressibleByArgument {}
extension PlotStage.Figure: ExpressibleByArgument {}
extension SamplePriorStage.Set: ExpressibleByArgument {}
