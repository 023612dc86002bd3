# Build settings as INTERFACE targets every first-party target links (ccache's habit):
# the language standard, the warnings and the optional sanitizers live here and nowhere else.

add_library(iot_standard_settings INTERFACE)
target_compile_features(iot_standard_settings INTERFACE cxx_std_20)
set_target_properties(iot_standard_settings PROPERTIES INTERFACE_CXX_EXTENSIONS OFF)
# libpqxx 6.4 only converts NULLs to std::optional when the whole project says so.
target_compile_definitions(iot_standard_settings INTERFACE PQXX_HAVE_OPTIONAL=1)

if(IOT_SANITIZE)
  target_compile_options(iot_standard_settings INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(iot_standard_settings INTERFACE -fsanitize=address,undefined)
endif()

add_library(iot_standard_warnings INTERFACE)
target_compile_options(iot_standard_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wformat=2
  -Wimplicit-fallthrough)
if(IOT_WERROR)
  target_compile_options(iot_standard_warnings INTERFACE -Werror)
endif()
