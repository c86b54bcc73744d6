//! Scenario tests of the machine: dialplans run against scripted results.
