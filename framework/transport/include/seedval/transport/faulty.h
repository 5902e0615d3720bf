// Fault injection (being written).
#pragma once
