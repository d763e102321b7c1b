# vqclip.pc for builds without CMake. libtorch ships no pkg-config file, so
# its flags and libraries are written out from the libtorch found here.
get_filename_component(VQCLIP_TORCH_LIBDIR "${TORCH_LIBRARY}" DIRECTORY)
set(VQCLIP_PC_TORCH_LIBS "-L${VQCLIP_TORCH_LIBDIR}")
foreach(library torch torch_cpu torch_cuda c10 c10_cuda)
  if(EXISTS "${VQCLIP_TORCH_LIBDIR}/lib${library}.so")
    string(APPEND VQCLIP_PC_TORCH_LIBS " -l${library}")
  endif()
endforeach()
set(VQCLIP_PC_TORCH_CFLAGS "${TORCH_CXX_FLAGS}")
foreach(dir ${TORCH_INCLUDE_DIRS})
  # The compiler's own folders stay out: -I/usr/include would change the order of the system headers.
  if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
    string(APPEND VQCLIP_PC_TORCH_CFLAGS " -I${dir}")
  endif()
endforeach()
# Relocatable: the prefix is found from the .pc file's own folder.
file(RELATIVE_PATH VQCLIP_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" VQCLIP_PC_TO_PREFIX "${VQCLIP_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/vqclip.pc.in ${CMAKE_BINARY_DIR}/vqclip.pc @ONLY)
