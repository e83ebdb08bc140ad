# Installs this tree into a scratch prefix, then builds and runs two separate projects that use
# find_package(mvg) — what a user's own CMake project does:
#   project/  asks for the data component, links mvg::mvg (everything), includes the umbrella header;
#   core/     links mvg::core, configured with GDCM and zlib hidden: the model part needs neither.
# run(<output variable> <command...>): the command must succeed; its stdout lands in the variable.
function(run out_var)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()
file(REMOVE_RECURSE ${WORK_DIR})
run(out ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/mvg-build -DMVG_BUILD_TESTS=OFF -DMVG_BUILD_BENCH=OFF
    -DMVG_BUILD_EXAMPLES=OFF -DMVG_ENABLE_CUDA=OFF -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix)
run(out ${CMAKE_COMMAND} --install ${WORK_DIR}/mvg-build)

# Debug: what is checked is that the installed package configures, compiles and links (-O0: 49 CPU-s
# for this test against 59 in Release).
run(out ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer/project -B ${WORK_DIR}/consumer-build
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Debug)
# Debian's GDCM export reports each of its 15 absent command-line programs; cmake/mvg_find_gdcm.cmake mutes that.
if(out MATCHES "references the file")
  message(FATAL_ERROR "find_package(mvg) printed GDCM's missing-program paragraphs:\n${out}")
endif()
run(out ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-build)
run(out ${WORK_DIR}/consumer-build/consumer)

run(out ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer/core -B ${WORK_DIR}/core-build
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Debug
    -DCMAKE_DISABLE_FIND_PACKAGE_GDCM=ON -DCMAKE_DISABLE_FIND_PACKAGE_ZLIB=ON)
if(NOT out MATCHES "mvg: mvg::core only, no mvg::data or mvg::mvg: it needs zlib")
  message(FATAL_ERROR "without GDCM and zlib, find_package(mvg) should say that only mvg::core is defined:\n${out}")
endif()
run(out ${CMAKE_COMMAND} --build ${WORK_DIR}/core-build)
run(out ${WORK_DIR}/core-build/core_consumer)
message(STATUS "${out}")
