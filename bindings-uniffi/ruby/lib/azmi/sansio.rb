# frozen_string_literal: true

module Azmi
  # The core's sans-IO flows with Ruby values in and out (JSON across the library): a program
  # with its own HTTP client drives the same decisions as the credential. Methods and actions
  # are those of the native flows (`poll(now_ms)` → `{"send" => ...}`, ...).
  module Sansio
    module_function

    # Which source a configuration and environment choose, and why.
    def detect(config, vars, arc_agent_installed: false)
      JSON.parse(Azmi.native { AzmiUniffi.detect(j(config), j(vars), arc_agent_installed) })
    end

    def j(value) = JSON.generate(value)

    # One token acquisition.
    class TokenFlow
      def initialize(config, vars, now_ms, arc_agent_installed: false)
        @inner = Azmi.native do
          AzmiUniffi::TokenFlow.new(Sansio.j(config), Sansio.j(vars), now_ms, arc_agent_installed)
        end
      end

      def poll(now_ms) = JSON.parse(@inner.poll(now_ms))

      def handle_response(id, response, now_ms)
        Azmi.native { @inner.handle_response(id, Sansio.j(response), now_ms) }
      end

      def handle_transport_error(id, kind, now_ms) = @inner.handle_transport_error(id, kind, now_ms)

      def handle_file(id, now_ms, contents: nil, error: nil)
        Azmi.native { @inner.handle_file(id, now_ms, contents, error) }
      end

      def handle_env(vars, arc_agent_installed: false)
        Azmi.native { @inner.handle_env(Sansio.j(vars), arc_agent_installed) }
      end
    end

    # The token cache with single-flight.
    class TokenCache
      def initialize
        @inner = AzmiUniffi::TokenCache.new
      end

      def lookup(key, now_ms) = JSON.parse(Azmi.native { @inner.lookup(Sansio.j(key), now_ms) })

      def complete(ticket, result, now_ms)
        Azmi.native { @inner.complete(ticket, Sansio.j(result), now_ms) }
      end

      def abandon(ticket) = Azmi.native { @inner.abandon(ticket) }
      def poll_wait(waiter, now_ms) = JSON.parse(Azmi.native { @inner.poll_wait(waiter, now_ms) })
      def invalidate(key) = Azmi.native { @inner.invalidate(Sansio.j(key)) }
    end

    # One ARM operation.
    class ArmFlow
      def self.resume(token, now_ms, config: nil, cloud: nil)
        flow = allocate
        flow.instance_variable_set(:@inner, Azmi.native do
          AzmiUniffi::ArmFlow.resume(token, now_ms, config && Sansio.j(config), cloud && Sansio.j(cloud))
        end)
        flow
      end

      def initialize(operation, now_ms, config: nil, cloud: nil)
        @inner = Azmi.native do
          AzmiUniffi::ArmFlow.new(Sansio.j(operation), now_ms, config && Sansio.j(config),
                                  cloud.nil? ? nil : Sansio.j(cloud))
        end
      end

      def poll(now_ms) = JSON.parse(@inner.poll(now_ms))
      def handle_token(result, now_ms) = Azmi.native { @inner.handle_token(Sansio.j(result), now_ms) }

      def handle_response(id, response, now_ms)
        Azmi.native { @inner.handle_response(id, Sansio.j(response), now_ms) }
      end

      def handle_transport_error(id, kind, now_ms) = @inner.handle_transport_error(id, kind, now_ms)
      def continuation_token = @inner.continuation_token
    end
  end
end
