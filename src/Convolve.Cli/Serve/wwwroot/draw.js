// The draw page. (Filled in by its own change.)
