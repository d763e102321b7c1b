// Precompiled header: the torch headers dominate compile time (~14 s per
// translation unit without this), so they are parsed once per target.
#pragma once
#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>
