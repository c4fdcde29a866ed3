# frozen_string_literal: true

require 'json'

module Azmi
  # Base of every azmi error. `code` is the stable code shared by every azmi binding
  # (`unavailable`, `identity_not_found`, `not_found`, ...), `source` the managed identity
  # source tried, `status_code` the HTTP status, `attempts` each HTTP attempt
  # (`{started_ms:, result:, waited_ms:}`). No field or message ever holds a token.
  class Error < StandardError
    attr_reader :code, :family, :source, :status_code, :attempts

    def initialize(message = nil, code: nil, family: nil, source: nil, status_code: nil,
                   attempts: [])
      super(message)
      @code = code
      @family = family
      @source = source
      @status_code = status_code
      @attempts = attempts
    end

    def inspect
      "#<#{self.class.name} code=#{code.inspect} #{message}>"
    end
  end

  # `config`: the options cannot work as given (unknown key, two selectors, bad value).
  class ConfigurationError < Error; end
  # A sans-IO call was given input it cannot read (`bad_input`).
  class InputError < Error; end
  # No managed identity endpoint answered (`unavailable`).
  class CredentialUnavailableError < Error; end
  # The endpoint has no such identity (`identity_not_found`).
  class IdentityNotFoundError < Error; end
  # `bad_request`.
  class BadRequestError < Error; end
  # `unauthorized`.
  class UnauthorizedError < Error; end
  # `wrong_identity`: the token is not for the identity asked for.
  class WrongIdentityError < Error; end
  # `throttled`.
  class ThrottledError < Error; end
  # `endpoint_error`: the endpoint failed after retries.
  class EndpointError < Error; end
  # `deadline_exceeded`.
  class DeadlineExceededError < Error; end
  # `invalid_response`: the endpoint's answer is not a token.
  class InvalidResponseError < Error; end
  # `key_file`: Azure Arc's key file cannot be read.
  class KeyFileError < Error; end
  # `engine`: azmi itself failed (a bug: please report it).
  class EngineError < Error; end
  # A progress callback stopped the operation (`stopped`).
  class StoppedError < Error; end

  # An Azure Resource Manager call failed: besides `Error`'s attributes, ARM's `error_code`
  # (`ResourceGroupNotFound`), `error_message`, `target`, `details`, `request_id`,
  # `correlation_id`, and `arm_kind` (the core's kind of failure).
  class ArmError < Error
    attr_reader :arm_kind, :error_code, :error_message, :target, :details, :request_id,
                :correlation_id

    def initialize(message = nil, arm_kind: nil, error_code: nil, error_message: nil, target: nil,
                   details: [], request_id: nil, correlation_id: nil, **rest)
      super(message, **rest)
      @arm_kind = arm_kind
      @error_code = error_code
      @error_message = error_message
      @target = target
      @details = details
      @request_id = request_id
      @correlation_id = correlation_id
    end
  end

  # ARM said 404.
  class ArmNotFoundError < ArmError; end
  # ARM said 409.
  class ArmConflictError < ArmError; end
  # 401, 403, or no token for ARM.
  class ArmAuthenticationError < ArmError; end
  # Any other HTTP failure, or an answer ARM should not have given.
  class ArmHttpError < ArmError; end
  # ARM could not be reached.
  class ArmConnectionError < ArmError; end
  # The operation's deadline passed.
  class ArmTimeoutError < ArmError; end
  # The operation cannot work as given.
  class ArmConfigurationError < ArmError; end

  # Stable token codes → classes.
  BY_CODE = {
    'config' => ConfigurationError, 'bad_input' => InputError,
    'unavailable' => CredentialUnavailableError, 'identity_not_found' => IdentityNotFoundError,
    'bad_request' => BadRequestError, 'unauthorized' => UnauthorizedError,
    'wrong_identity' => WrongIdentityError, 'throttled' => ThrottledError,
    'endpoint_error' => EndpointError, 'deadline_exceeded' => DeadlineExceededError,
    'invalid_response' => InvalidResponseError, 'key_file' => KeyFileError,
    'engine' => EngineError, 'stopped' => StoppedError
  }.freeze

  # The core's ARM kinds (`ArmErrorKind` names) → classes: naming only.
  BY_ARM_KIND = {
    'not_found' => ArmNotFoundError, 'conflict' => ArmConflictError,
    'unauthorized' => ArmAuthenticationError, 'forbidden' => ArmAuthenticationError,
    'token' => ArmAuthenticationError, 'bad_request' => ArmHttpError,
    'throttled' => ArmHttpError, 'server_error' => ArmHttpError, 'http_error' => ArmHttpError,
    'operation_failed' => ArmHttpError, 'invalid_response' => ArmHttpError,
    'foreign_host' => ArmHttpError, 'unavailable' => ArmConnectionError,
    'deadline_exceeded' => ArmTimeoutError, 'config' => ArmConfigurationError
  }.freeze

  # The Ruby exception for the native failure `failure` (`AzmiUniffi::AzmiError::Failure`).
  def self.error_from(failure)
    common = {
      code: failure.code, family: failure.family, source: failure.source,
      status_code: failure.status_code,
      attempts: failure.attempts.map do |a|
        { started_ms: a.started_ms, result: a.result, waited_ms: a.waited_ms }
      end
    }
    return BY_CODE.fetch(failure.code, Error).new(failure.message, **common) unless failure.arm_kind

    BY_ARM_KIND.fetch(failure.arm_kind, ArmError).new(
      failure.message, arm_kind: failure.arm_kind, error_code: failure.error_code,
      error_message: failure.error_message, target: failure.target,
      details: failure.details ? JSON.parse(failure.details) : [], request_id: failure.request_id,
      correlation_id: failure.correlation_id, **common
    )
  end

  # Runs the block, raising a native failure as its Ruby exception.
  def self.native
    yield
  rescue AzmiUniffi::AzmiError::Failure => e
    raise error_from(e), cause: nil
  end
end
