// The train page. (Filled in by its own change.)
