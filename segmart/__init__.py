"""segmart: warehouse-native behavioural segmentation."""
