import Testing
import VaporTesting
@testable import OnboardApp
@Test func placeholder() {}
