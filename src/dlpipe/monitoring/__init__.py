"""After deployment: the prediction log, feedback labels and the live figures drawn from them."""
