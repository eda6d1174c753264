import Testing
@testable import OnboardDomain
@Test func placeholder() {}
