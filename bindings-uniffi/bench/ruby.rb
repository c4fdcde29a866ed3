# frozen_string_literal: true

# The Ruby row of bench/compare.sh: one tab-separated line with the cost of one cached
# `get_token(scope).token` (µs), the cold first token (ms) and `require 'azmi'` (ms).
# Run with -Ilib of bindings-uniffi/ruby (or the gem installed) and the identity variables set.

started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
require 'azmi'
load_ms = (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started) * 1000

def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)

scope = 'https://management.azure.com/.default'
iterations = Integer(ARGV.fetch(0, '100000'))
credential = Azmi::ManagedIdentityCredential.new
started = now
credential.get_token(scope)
cold_ms = (now - started) * 1000
1000.times { credential.get_token(scope).token } # warm-up
started = now
iterations.times { credential.get_token(scope).token }
cached_us = (now - started) * 1_000_000 / iterations
puts format("ruby %s\t%.3f\t%.1f\t%.1f", RUBY_VERSION, cached_us, cold_ms, load_ms)
