// The article page. (Filled in by its own change.)
