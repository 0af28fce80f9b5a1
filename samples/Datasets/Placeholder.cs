namespace Microsoft.ML.RandAD.Datasets;
