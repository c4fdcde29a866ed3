# frozen_string_literal: true

# The azmi gem: the Ruby layer, the generated uniffi code and the native library for one
# platform (bindings-uniffi/scripts/test-ruby gem copies this machine's into lib/azmi/ before
# `gem build`; scripts/release.d/uniffi one per release platform, naming it in
# AZMI_GEM_PLATFORM, e.g. aarch64-linux or x64-mingw-ucrt).
Gem::Specification.new do |s|
  s.name = 'azmi'
  s.version = File.read(File.join(__dir__, 'lib', 'azmi.rb'))[/VERSION = '([^']+)'/, 1]
  s.summary = 'Azure managed identity tokens and Resource Manager calls, over azmi native library'
  s.description = 'Managed identity tokens (IMDS, App Service, Azure Arc, ...) and Azure ' \
                  'Resource Manager calls for Ruby, through the same native core as azmi for ' \
                  'Rust, Python, Node and the JVM.'
  s.authors = ['azmi contributors']
  s.license = 'MIT'
  s.homepage = 'https://github.com/azmi-dev/azmi'
  s.required_ruby_version = '>= 3.1'
  s.platform = Gem::Platform.new(ENV.fetch('AZMI_GEM_PLATFORM') { Gem::Platform.local.to_s })
  # The one library the generated loader opens: FFI's name for it on the gem's platform.
  libs = Dir.chdir(__dir__) { Dir['lib/azmi/{libazmi_uniffi.so,azmi_uniffi.dll,libazmi_uniffi.dylib}'] }
  unless libs.size == 1
    raise "lib/azmi/ holds #{libs.empty? ? 'no' : libs.size} native libraries, not one: " \
          'build the gem with bindings-uniffi/scripts/test-ruby gem'
  end

  s.files = Dir.chdir(__dir__) { Dir['lib/**/*.rb'] + libs }
  s.require_paths = ['lib']
  s.add_dependency 'ffi', '~> 1.15'
end
